"""backprop_xp: feed-forward networks trained by explicit backpropagation,
written once against the Python array API standard (NumPy, CuPy, PyTorch,
array-api-strict)."""

from .backends import BackendUnavailableError, available_backends, resolve_backend, to_numpy
from .backprop import Trace
from .gradcheck import GradcheckResult, gradcheck
from .io import load
from .model import MLP
from .optimizers import SGD, Adam
from .training import DivergenceWarning, History

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "BackendUnavailableError",
    "DivergenceWarning",
    "GradcheckResult",
    "History",
    "Trace",
    "available_backends",
    "gradcheck",
    "load",
    "resolve_backend",
    "to_numpy",
]
