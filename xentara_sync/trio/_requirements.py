"""What the trio flavour needs, checked before anything imports trio.

Importing :mod:`xentara_sync.trio` on Python 3.10, or without trio, raises an
:class:`ImportError` that says what to do, instead of a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import sys

#: What to do when this flavour cannot be imported.
INSTALL_HINT = 'pip install "xentara-sync[trio]"'

if sys.version_info < (3, 11):  # websockets' trio support needs websockets 17, Python 3.11
    raise ImportError(
        "xentara_sync.trio needs Python 3.11 or later (this is Python "
        f"{sys.version_info.major}.{sys.version_info.minor}); there, {INSTALL_HINT}. "
        "The blocking and asyncio clients work on Python 3.10.",
        name="xentara_sync.trio",
    )
try:
    import trio  # noqa: F401
    import websockets.trio  # noqa: F401
except ImportError as exc:
    raise ImportError(
        f"xentara_sync.trio needs trio and websockets 17 or later: {INSTALL_HINT} ({exc})",
        name="xentara_sync.trio",
    ) from exc
