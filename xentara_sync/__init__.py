"""xentara_sync: read, write and watch Xentara data points from Python.

Nothing is started at import time.
"""

from ._version import __version__
from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exception_names

__all__ = ["__version__", *_exception_names]
