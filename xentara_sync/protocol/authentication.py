"""The authentication information of ``create_sub_session``, kept out of every log.

A sub-session is opened with one of three alternatives (the reference, §4.12):
``123({0: user name, 1: password})``, ``121({0: OAuth 2.0 access token})`` or
``122({0: DER certificate})``. The request's parameters are logged at DEBUG level
like every other request (:mod:`xentara_sync.protocol.session`), so the map that
carries a password or token shows it as ``***`` in :func:`repr` (a certificate, no
secret but long, as its size), while CBOR encodes it as it is:

>>> info = password_authentication("operator", "s3cret")
>>> info
CBORTag(123, {0: 'operator', 1: '***'})
>>> from xentara_sync.protocol.cbor import encode
>>> encode(info).hex()
'd87ba200686f70657261746f720166733363726574'
>>> token_authentication("eyJhbGciOi.x.y")
CBORTag(121, {0: '***'})
>>> certificate_authentication(bytes(270))
CBORTag(122, {0: <DER certificate, 270 bytes>})
"""

from __future__ import annotations

from typing import Any, Final

import cbor2

from ..exceptions import InvalidArgument
from .ids import PasswordKey
from .tags import TAG_PASSWORD

__all__ = ["certificate_authentication", "password_authentication", "token_authentication"]

#: Tags of the OAuth 2.0 and certificate alternatives (§4.12; 123 is the password's).
TAG_OAUTH: Final = 121
TAG_CERTIFICATE: Final = 122


class _Hidden(dict[int, Any]):
    """A map whose secret entry (key :attr:`secret`) :func:`repr` does not show."""

    secret: int = PasswordKey.PASSWORD

    def __repr__(self) -> str:
        shown = {int(key): "***" if key == self.secret else value for key, value in self.items()}
        return repr(shown)

    __str__ = __repr__


class _HiddenToken(_Hidden):
    secret = 0


class _Size:
    """How a certificate shows in :func:`repr`: its size."""

    def __init__(self, size: int) -> None:
        self.size = size

    def __repr__(self) -> str:
        return f"<DER certificate, {self.size} bytes>"


class _Certificate(dict[int, Any]):
    def __repr__(self) -> str:
        return repr({int(key): _Size(len(value)) for key, value in self.items()})

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


def token_authentication(token: str) -> cbor2.CBORTag:
    """``121({0: token})``, an OAuth 2.0 access token, hidden from :func:`repr`."""
    if not isinstance(token, str) or not token:
        raise InvalidArgument("token must be a non-empty str (an OAuth 2.0 access token)")
    return cbor2.CBORTag(TAG_OAUTH, _HiddenToken({0: token}))


def certificate_authentication(certificate: bytes) -> cbor2.CBORTag:
    """``122({0: certificate})``, an X.509 certificate in DER form (a byte string).

    The server does not check that the client holds the certificate's private key
    (reference, §4.12): the client must have done that.
    """
    if not isinstance(certificate, bytes | bytearray) or not certificate:
        raise InvalidArgument("certificate must be non-empty DER bytes")
    return cbor2.CBORTag(TAG_CERTIFICATE, _Certificate({0: bytes(certificate)}))
