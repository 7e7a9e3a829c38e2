"""Every bad input gets a ValueError/TypeError whose message names the argument."""

from __future__ import annotations

import numpy as np
import pytest

import backprop_xp as bx


@pytest.mark.parametrize(
    "kwargs,exc,words",
    [
        ({"sizes": [4]}, ValueError, "sizes"),
        ({"sizes": [4, 0, 2]}, ValueError, "sizes"),
        ({"sizes": [4, 2.5, 2]}, ValueError, "sizes"),
        ({"sizes": 7}, TypeError, "sizes"),
        ({"activation": "swish"}, ValueError, "activation"),
        ({"activation": ["relu", "tanh"]}, ValueError, "activation"),
        ({"activation": "softmax"}, ValueError, "activation"),
        ({"output": "gelu"}, ValueError, "output"),
        ({"loss": "hinge"}, ValueError, "loss"),
        ({"output": "identity", "loss": "cross_entropy"}, ValueError, "output='identity'"),
        ({"output": "tanh", "loss": "cross_entropy"}, ValueError, "cross_entropy"),
        ({"init": "orthogonal"}, ValueError, "init"),
        ({"dtype": "float16"}, ValueError, "dtype"),
        ({"backend": "jax"}, ValueError, "backend"),
        ({"device": "tpu"}, ValueError, "device"),
        ({"device": 0}, TypeError, "device"),
        ({"backend": "numpy", "device": "cuda"}, ValueError, "device"),
        ({"backend": "array_api_strict", "device": "cuda"}, ValueError, "device"),
        ({"sizes": [4, 3, 1], "output": "softmax"}, ValueError, "softmax"),
    ],
)
def test_bad_constructor_arguments(kwargs, exc, words):
    kwargs = {"sizes": [4, 3, 2], **kwargs}
    with pytest.raises(exc, match=words):
        bx.MLP(**kwargs)


@pytest.fixture
def net():
    return bx.MLP([4, 3, 2], dtype="float64")


def test_wrong_feature_count(net):
    with pytest.raises(ValueError, match=r"X has 5 features .* expects 4"):
        net.forward(np.zeros((3, 5)))


def test_wrong_dimensions(net):
    with pytest.raises(ValueError, match="X must be 2-D"):
        net.forward(np.zeros(4))


def test_row_counts_differ(net):
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        net.gradients(np.zeros((3, 4)), np.array([0, 1]))


def test_labels_out_of_range(net):
    with pytest.raises(ValueError, match=r"y holds class labels in \[0, 2\].*\[0, 1\]"):
        net.gradients(np.zeros((3, 4)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="y holds class labels in"):
        net.gradients(np.zeros((3, 4)), np.array([0, -1, 1]))


def test_non_integer_labels(net):
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        net.gradients(np.zeros((3, 4)), np.array([0.5, 1.0, 0.0]))


def test_wrong_target_width(net):
    with pytest.raises(ValueError, match=r"y has 3 columns.*2 outputs"):
        net.gradients(np.zeros((3, 4)), np.zeros((3, 3)))


def test_empty_data(net):
    with pytest.raises(ValueError, match="X is empty"):
        net.forward(np.zeros((0, 4)))


def test_non_numeric_data(net):
    with pytest.raises(TypeError, match="X must hold numbers"):
        net.forward(np.array([["a", "b", "c", "d"]]))


def test_set_parameters_checks_shapes(net):
    with pytest.raises(ValueError, match="layer 0"):
        net.set_parameters([np.zeros((4, 3)), np.zeros((2, 3))], [np.zeros(3), np.zeros(2)])
