"""SGD and Adam: closed-form steps worked by hand, torch.optim on identical
gradients, the full train_step against torch, and parity across backends."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import HAS_TORCH

import backprop_xp as bx
from backprop_xp.optimizers import make_optimizer

xp = np  # optimizers need only arithmetic, zeros_like and sqrt


def _run(opt, params, grad_seq, decay=None):
    state = opt.init(params, xp=np)
    for grads in grad_seq:
        params, state = opt.update(params, grads, state, xp=np, decay=decay)
    return params


def test_sgd_plain_step_by_hand():
    p = [np.array([1.0, -2.0]), np.array([[0.5]])]
    g = [np.array([0.1, 0.4]), np.array([[-2.0]])]
    (p1, p2) = _run(bx.SGD(lr=0.5), p, [g])
    np.testing.assert_allclose(p1, [0.95, -2.2], rtol=0, atol=1e-15)
    np.testing.assert_allclose(p2, [[1.5]], rtol=0, atol=1e-15)
    assert p[0][0] == 1.0  # inputs untouched


def test_sgd_momentum_two_steps_by_hand():
    # v1 = g1 = 1, θ1 = 0 - 0.1·1 = -0.1; v2 = 0.9·1 + 2 = 2.9, θ2 = -0.1 - 0.29 = -0.39
    (p,) = _run(
        bx.SGD(lr=0.1, momentum=0.9), [np.array([0.0])], [[np.array([1.0])], [np.array([2.0])]]
    )
    np.testing.assert_allclose(p, [-0.39], atol=1e-15)


def test_sgd_nesterov_two_steps_by_hand():
    # step1 = g1 + μ v1 = 1.9 → θ1 = -0.19; v2 = 2.9, step2 = 2 + 2.61 = 4.61 → θ2 = -0.651
    (p,) = _run(
        bx.SGD(lr=0.1, momentum=0.9, nesterov=True),
        [np.array([0.0])],
        [[np.array([1.0])], [np.array([2.0])]],
    )
    np.testing.assert_allclose(p, [-0.651], atol=1e-15)


def test_weight_decay_only_where_marked():
    opt = bx.SGD(lr=1.0, weight_decay=0.5)
    W, b = _run(
        opt,
        [np.array([2.0]), np.array([2.0])],
        [[np.array([0.0]), np.array([0.0])]],
        decay=[True, False],
    )
    assert W[0] == 1.0  # 2 - 1·(0 + 0.5·2)
    assert b[0] == 2.0


def test_adam_first_step_moves_by_lr():
    # After one step m̂ = g and v̂ = g², so θ moves by lr·g/(|g| + ε) ≈ lr·sign(g).
    g = np.array([3.0, -0.002, 1e3])
    (p,) = _run(bx.Adam(lr=0.01), [np.zeros(3)], [[g]])
    np.testing.assert_allclose(p, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_three_steps_textbook():
    """Against the algorithm as printed in Kingma & Ba (2015), written out here."""
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=4) for _ in range(3)]
    lr, b1, b2, eps = 0.05, 0.8, 0.95, 1e-6
    theta, m, v = np.ones(4), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    (p,) = _run(bx.Adam(lr=lr, betas=(b1, b2), eps=eps), [np.ones(4)], [[g] for g in grads])
    np.testing.assert_allclose(p, theta, rtol=1e-12)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
@pytest.mark.parametrize(
    "name,kwargs,torch_name",
    [
        ("sgd", {"lr": 0.1}, "SGD"),
        ("sgd", {"lr": 0.1, "momentum": 0.9}, "SGD"),
        ("sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}, "SGD"),
        ("adam", {"lr": 0.01}, "Adam"),
        ("adam", {"lr": 0.003, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}, "Adam"),
    ],
)
def test_against_torch_optim(name, kwargs, torch_name):
    import torch

    rng = np.random.default_rng(1)
    params = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    grad_seq = [[rng.normal(size=(3, 4)), rng.normal(size=4)] for _ in range(6)]
    ours = _run(make_optimizer(name, **kwargs), params, grad_seq)

    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    topt = getattr(torch.optim, torch_name)(tparams, **kwargs)
    for grads in grad_seq:
        for tp, g in zip(tparams, grads):
            tp.grad = torch.tensor(g)
        topt.step()
    for p, tp in zip(ours, tparams):
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_train_step_matches_torch_training(opt_name):
    """Five full steps (forward, backprop, update) against torch autograd + torch.optim,
    with L2 decay on the weights only (a torch parameter group), in float64."""
    import torch

    rng = np.random.default_rng(2)
    net = bx.MLP([5, 7, 4], activation="tanh", output="softmax", dtype="float64", seed=3)
    layers = [torch.nn.Linear(5, 7).double(), torch.nn.Linear(7, 4).double()]
    with torch.no_grad():
        for lin, W, b in zip(layers, net.weights, net.biases):
            lin.weight.copy_(torch.tensor(W))
            lin.bias.copy_(torch.tensor(b))
    groups = [
        {"params": [lin.weight for lin in layers], "weight_decay": 0.01},
        {"params": [lin.bias for lin in layers], "weight_decay": 0.0},
    ]
    if opt_name == "sgd":
        ours = bx.SGD(lr=0.2, momentum=0.9, weight_decay=0.01)
        theirs = torch.optim.SGD(groups, lr=0.2, momentum=0.9)
    else:
        ours = bx.Adam(lr=0.01, weight_decay=0.01)
        theirs = torch.optim.Adam(groups, lr=0.01)
    for _ in range(5):
        X = rng.normal(size=(6, 5))
        y = rng.integers(0, 4, size=6)
        loss = net.train_step(X, y, ours)
        theirs.zero_grad()
        out = layers[1](torch.tanh(layers[0](torch.tensor(X))))
        tloss = torch.nn.functional.cross_entropy(out, torch.tensor(y))
        tloss.backward()
        theirs.step()
        assert math.isclose(float(loss), tloss.item(), rel_tol=1e-12)
    for lin, W, b in zip(layers, net.weights, net.biases):
        np.testing.assert_allclose(W, lin.weight.detach().numpy(), rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(b, lin.bias.detach().numpy(), rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("opt", [bx.SGD(0.1, momentum=0.9, nesterov=True), bx.Adam(0.01)])
def test_train_step_same_on_every_backend(backend_device, dtype, opt):
    backend, device = backend_device
    rng = np.random.default_rng(4)
    batches = [(rng.normal(size=(8, 6)), rng.integers(0, 3, size=8)) for _ in range(4)]
    ref = bx.MLP([6, 5, 3], activation="relu", dtype="float64", seed=1)
    net = bx.MLP([6, 5, 3], activation="relu", backend=backend, device=device, dtype=dtype, seed=1)
    for X, y in batches:
        ref.train_step(X, y, opt)
        loss = net.train_step(X, y, opt)
    assert tuple(loss.shape) == ()
    assert bx.backends.Backend.owns(net._backend, loss)
    tol = 256 * np.finfo(dtype).eps
    for W, W_ref in zip(net.weights, ref.weights):
        np.testing.assert_allclose(bx.to_numpy(W), W_ref, rtol=tol, atol=tol)


def test_train_step_keeps_state_per_optimizer():
    X, y = np.eye(3), np.arange(3)
    a = bx.MLP([3, 3], output="softmax", dtype="float64")
    b = bx.MLP([3, 3], output="softmax", dtype="float64")
    opt = bx.SGD(0.5, momentum=0.9)
    for _ in range(3):
        a.train_step(X, y, opt)
    # Same as running the optimizer's init/update by hand for three steps.
    state = opt.init(b.weights + b.biases, xp=np)
    for _ in range(3):
        _, dW, db = b.gradients(X, y)
        params, state = opt.update(b.weights + b.biases, dW + db, state, xp=np, decay=[True, False])
        b.weights, b.biases = params[:1], params[1:]
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: bx.SGD(lr=0), "lr"),
        (lambda: bx.SGD(lr=-1), "lr"),
        (lambda: bx.SGD(lr="fast"), "lr"),
        (lambda: bx.SGD(lr=0.1, momentum=1.0), "momentum"),
        (lambda: bx.SGD(lr=0.1, nesterov=True), "nesterov"),
        (lambda: bx.SGD(lr=0.1, weight_decay=-0.1), "weight_decay"),
        (lambda: bx.Adam(betas=(0.9, 1.0)), r"betas\[1\]"),
        (lambda: bx.Adam(betas=0.9), "betas"),
        (lambda: bx.Adam(eps=0), "eps"),
        (lambda: make_optimizer("rmsprop"), "optimizer"),
    ],
)
def test_bad_optimizer_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


@pytest.mark.parametrize(
    "opt",
    [
        bx.SGD(0.1),
        bx.SGD(0.1, weight_decay=0.01),
        bx.SGD(0.1, momentum=0.9, weight_decay=0.01),
        bx.SGD(0.1, momentum=0.9, nesterov=True),
        bx.Adam(0.01),
        bx.Adam(0.01, weight_decay=0.1),
    ],
)
def test_in_place_update_is_bit_identical(opt):
    rng = np.random.default_rng(5)
    params = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=3).astype(np.float32)]
    grad_seq = [
        [g.astype(np.float32) for g in (rng.normal(size=(3, 4)), rng.normal(size=3))]
        for _ in range(4)
    ]
    functional = _run(opt, params, grad_seq, decay=[True, False])
    inplace = [p.copy() for p in params]
    state = opt.init(inplace, xp=np)
    for grads in grad_seq:
        inplace, state = opt.update(
            inplace, [g.copy() for g in grads], state, xp=np, decay=[True, False], in_place=True
        )
    for a, b in zip(functional, inplace):
        np.testing.assert_array_equal(a, b)
