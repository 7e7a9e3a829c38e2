"""The derivation's own claims: the 2-2-2 network of its Figure 1 worked by hand,
the bias-neuron form, the two initialisation facts, and determinism."""

from __future__ import annotations

import numpy as np
import pytest
from reference import one_hot

import backprop_xp as bx


def figure1_net() -> bx.MLP:
    """2 inputs, 2 hidden, 2 outputs, sigmoid everywhere, quadratic cost."""
    net = bx.MLP([2, 2, 2], activation="sigmoid", output="sigmoid", loss="mse", dtype="float64")
    W1 = np.array([[0.15, 0.20], [0.25, 0.30]])
    W2 = np.array([[0.40, 0.45], [0.50, 0.55]])
    net.set_parameters([W1, W2], [np.array([0.35, 0.35]), np.array([0.60, 0.60])])
    return net


X1 = np.array([[0.05, 0.10]])
Y1 = np.array([[0.01, 0.99]])


def test_figure1_forward_by_hand():
    # z1 = 0.15*0.05 + 0.20*0.10 + 0.35 = 0.3775 ; z2 = 0.25*0.05 + 0.30*0.10 + 0.35 = 0.3925
    # a = σ(z): σ(0.3775) = 0.593269992, σ(0.3925) = 0.596884378
    # output z1 = 0.40*0.593269992 + 0.45*0.596884378 + 0.60 = 1.105905967 -> σ = 0.751365070
    # output z2 = 0.50*0.593269992 + 0.55*0.596884378 + 0.60 = 1.224921404 -> σ = 0.772928465
    # C = ½[(0.751365070 - 0.01)² + (0.772928465 - 0.99)²] = 0.298371109
    trace = figure1_net().backprop(X1, Y1)
    np.testing.assert_allclose(trace.z[0], [[0.3775, 0.3925]], rtol=1e-12)
    # Hand values carry 9 decimals, so they are compared to within 1e-9.
    np.testing.assert_allclose(trace.a[1], [[0.593269992, 0.596884378]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(trace.z[1], [[1.105905967, 1.224921404]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(trace.a[2], [[0.751365070, 0.772928465]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(float(trace.loss), 0.298371109, rtol=0, atol=1e-9)


def test_figure1_backward_by_hand():
    # BP1: δ^L_j = (a_j - y_j) a_j (1 - a_j)
    #   δ1 = 0.741365070 * 0.751365070 * 0.248634930 = 0.138498562
    #   δ2 = -0.217071535 * 0.772928465 * 0.227071535 = -0.038098237
    # BP4: ∂C/∂w_jk = δ_j a_k, e.g. ∂C/∂w11(2) = 0.138498562 * 0.593269992 = 0.082167041
    # BP2: δ^(2)_k = (Σ_j w_jk δ_j) a_k (1 - a_k)
    #   δ^(2)_1 = (0.40*0.138498562 + 0.50*(-0.038098237)) * 0.593269992*0.406730008
    #           = 0.036350306 * 0.241300709 = 0.008771355
    #   δ^(2)_2 = (0.45*0.138498562 + 0.55*(-0.038098237)) * 0.596884378*0.403115622
    #           = 0.041370323 * 0.240613417 = 0.009954255
    # BP4 for the first layer: ∂C/∂w_jk(1) = δ^(2)_j x_k
    trace = figure1_net().backprop(X1, Y1)
    np.testing.assert_allclose(trace.delta[1], [[0.138498562, -0.038098237]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(trace.delta[0], [[0.008771355, 0.009954255]], rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        trace.dW[1], [[0.082167041, 0.082667628], [-0.022602541, -0.022740242]], rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        trace.dW[0], [[0.000438568, 0.000877135], [0.000497713, 0.000995425]], rtol=0, atol=1e-9
    )
    # BP3: ∂C/∂b = δ (one sample)
    np.testing.assert_allclose(trace.db[1], [0.138498562, -0.038098237], rtol=0, atol=1e-9)
    np.testing.assert_allclose(trace.db[0], [0.008771355, 0.009954255], rtol=0, atol=1e-9)


def test_bias_neuron_form_gives_the_same_gradients():
    """The augmented form: W̃ = [b | W] acting on [1, a] has gradient δᵀ [1, a] / m = [db | dW]."""
    rng = np.random.default_rng(0)
    net = bx.MLP([3, 4, 2], activation="tanh", output="softmax", dtype="float64", seed=2)
    net.biases = [b + 0.3 for b in net.biases]
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6)
    trace = net.backprop(X, y)
    W, b = net.get_parameters()
    for l in range(2):
        a_prev = trace.a[l]
        ones = np.ones((a_prev.shape[0], 1))
        aug_a = np.hstack([ones, a_prev])  # (m, 1 + n_in): the bias neuron's constant 1 first
        aug_W = np.hstack([b[l][:, None], W[l]])  # (n_out, 1 + n_in)
        np.testing.assert_allclose(aug_a @ aug_W.T, trace.z[l], rtol=1e-13)
        aug_dW = trace.delta[l].T @ aug_a / a_prev.shape[0]
        np.testing.assert_allclose(aug_dW[:, 0], trace.db[l], rtol=1e-13)
        np.testing.assert_allclose(aug_dW[:, 1:], trace.dW[l], rtol=1e-13)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_zero_weights_with_phi0_zero_give_no_weight_gradient(activation):
    rng = np.random.default_rng(1)
    net = bx.MLP([4, 5, 5, 3], activation=activation, init="zeros", dtype="float64")
    X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    _, dW, db = net.gradients(X, y)
    for g in dW:
        assert np.all(np.asarray(g) == 0.0)
    # Only the output bias can move: db[-1] = mean(softmax(0) - y) is non-zero.
    assert np.any(np.asarray(db[-1]) != 0.0)


def test_constant_start_with_sigmoid_gives_identical_updates():
    """Symmetry: with a constant start every hidden unit of a layer gets the same update."""
    rng = np.random.default_rng(2)
    sizes = [4, 5, 3]
    net = bx.MLP(sizes, activation="sigmoid", dtype="float64")
    net.set_parameters([np.full((5, 4), 0.2), np.full((3, 5), -0.1)], [np.zeros(5), np.zeros(3)])
    X, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
    for _ in range(5):  # still symmetric after several plain gradient steps
        _, dW, db = net.gradients(X, y)
        dW = [np.asarray(g) for g in dW]
        # hidden units = rows of dW[0] and entries of db[0]; = columns of dW[1]
        np.testing.assert_allclose(dW[0], np.broadcast_to(dW[0][:1], dW[0].shape), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(db[0]), np.full(5, db[0][0]), rtol=1e-12)
        np.testing.assert_allclose(dW[1], np.broadcast_to(dW[1][:, :1], dW[1].shape), rtol=1e-12)
        assert np.any(dW[0] != 0)  # it learns, but as one unit
        net.weights = [W - 0.5 * g for W, g in zip(net.weights, dW)]
        net.biases = [b - 0.5 * g for b, g in zip(net.biases, db)]


def test_same_seed_bit_identical_gradients_on_numpy():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(16, 6)), one_hot(rng.integers(0, 4, size=16), 4)
    results = []
    for _ in range(2):
        net = bx.MLP([6, 10, 4], activation="relu", init="he", dtype="float32", seed=123)
        loss, dW, db = net.gradients(X, Y)
        results.append([np.asarray(loss)] + [np.asarray(g) for g in dW + db])
    for a, b in zip(*results):
        assert a.tobytes() == b.tobytes()
    other = bx.MLP([6, 10, 4], activation="relu", init="he", dtype="float32", seed=124)
    assert not np.array_equal(
        other.get_parameters()[0][0], bx.MLP([6, 10, 4], seed=123, init="he").get_parameters()[0][0]
    )


def test_same_seed_same_starting_weights_on_every_backend(backend_device, dtype):
    backend, device = backend_device
    ref = bx.MLP([5, 7, 3], init="xavier", dtype=dtype, seed=9)
    net = bx.MLP([5, 7, 3], init="xavier", device=device, backend=backend, dtype=dtype, seed=9)
    for a, b in zip(ref.get_parameters()[0], net.get_parameters()[0]):
        assert a.dtype == b.dtype == np.dtype(dtype)
        assert a.tobytes() == b.tobytes()


def test_initialisers_have_their_documented_scale():
    n_in, n_out = 400, 300
    xavier = bx.MLP(
        [n_in, n_out], output="identity", loss="mse", init="xavier", dtype="float64"
    ).get_parameters()[0][0]
    r = np.sqrt(6 / (n_in + n_out))
    assert np.abs(xavier).max() <= r and np.abs(xavier).max() > 0.99 * r
    he = bx.MLP(
        [n_in, n_out], output="identity", loss="mse", init="he", dtype="float64"
    ).get_parameters()[0][0]
    assert abs(he.std() - np.sqrt(2 / n_in)) < 0.02 * np.sqrt(2 / n_in)
    normal = bx.MLP(
        [n_in, n_out], output="identity", loss="mse", init="normal", dtype="float64"
    ).get_parameters()[0][0]
    assert abs(normal.std() - 0.01) < 0.0005
