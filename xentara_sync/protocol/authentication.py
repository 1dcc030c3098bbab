"""The authentication information of ``create_sub_session``, kept out of every log.

A sub-session is opened with ``{0: 123({0: user name, 1: password})}`` (the
reference, §4.12: tag 123 is the user name and password alternative; 121 an OAuth
2.0 token, 122 a certificate). The request's parameters are logged at DEBUG level
like every other request (:mod:`xentara_sync.protocol.session`), so the map that
carries the password shows it as ``***`` in :func:`repr`, while CBOR encodes it as
it is:

>>> info = password_authentication("operator", "s3cret")
>>> info
CBORTag(123, {0: 'operator', 1: '***'})
>>> from xentara_sync.protocol.cbor import encode
>>> encode(info).hex()
'd87ba200686f70657261746f720166733363726574'
"""

from __future__ import annotations

from typing import Any

import cbor2

from ..exceptions import InvalidArgument
from .ids import PasswordKey
from .tags import TAG_PASSWORD

__all__ = ["password_authentication"]


class _Hidden(dict[int, Any]):
    """A map whose password entry :func:`repr` does not show."""

    def __repr__(self) -> str:
        shown = {
            int(key): "***" if key == PasswordKey.PASSWORD else value for key, value in self.items()
        }
        return repr(shown)

    __str__ = __repr__


def password_authentication(username: str, password: str) -> cbor2.CBORTag:
    """``123({0: username, 1: password})``, the password hidden from :func:`repr`."""
    if not isinstance(username, str) or not username:
        raise InvalidArgument(
            f"username must be a non-empty str, not {type(username).__name__} {username!r:.60}"
        )
    if not isinstance(password, str):
        raise InvalidArgument(f"password must be a str, not {type(password).__name__}")
    return cbor2.CBORTag(
        TAG_PASSWORD, _Hidden({PasswordKey.USER: username, PasswordKey.PASSWORD: password})
    )
