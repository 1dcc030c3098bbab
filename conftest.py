"""What pytest collects from the package itself (its doctests) on this interpreter."""

from __future__ import annotations

import importlib.util
import sys

#: Paths pytest skips: the trio flavour needs Python 3.11+, trio and websockets 17+.
collect_ignore_glob: list[str] = []
if (
    sys.version_info < (3, 11)
    or importlib.util.find_spec("trio") is None
    or importlib.util.find_spec("websockets.trio") is None
):
    collect_ignore_glob.append("xentara_sync/trio/*.py")
if importlib.util.find_spec("textual") is None:  # the tui needs Textual
    collect_ignore_glob += ["xentara_sync/tui/app.py", "xentara_sync/tui/screens.py"]
