"""The blocking flavour: one event loop thread, and calls that wait for it."""

from .client import XentaraClient
from .subscription import Subscription

__all__ = ["Subscription", "XentaraClient"]
