"""The blocking flavour: one event loop thread, and calls that wait for it."""

from .client import XentaraClient
from .subscription import Subscription
from .subsession import SubSession

__all__ = ["SubSession", "Subscription", "XentaraClient"]
