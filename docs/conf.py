"""Sphinx configuration of the xentara_sync documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html``. Nothing is
fetched from the network: there is no intersphinx mapping.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

# Build from a checkout even when the package is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xentara_sync._version import __version__

project = "xentara_sync"
author = "xentara_sync contributors"
project_copyright = "xentara_sync contributors"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
]

exclude_patterns = ["_build"]
nitpicky = False

# autodoc: types go into the parameter descriptions, members in source order.
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}

# napoleon: the docstrings use Google style ("Attributes:", "Args:").
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# sphinx.ext.doctest (``sphinx-build -b doctest docs docs/_build/doctest``) runs the
# examples of the docstrings with these names in scope.
doctest_global_setup = """
from xentara_sync.exceptions import *
from xentara_sync.protocol import *
from xentara_sync.protocol.ids import *
"""

html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"xentara_sync {release}"


def _drop_exception_return_type(
    app: Any,
    what: str,
    name: str,
    obj: object,
    options: object,
    signature: str | None,
    return_annotation: str | None,
) -> None:
    """Leave out "Return type: None" under exception classes.

    With ``autodoc_typehints = "description"`` Sphinx suppresses the ``__init__``
    return type for classes but not for exceptions.
    """
    if what != "exception":
        return
    document = getattr(app.env, "current_document", None)
    annotations = getattr(document, "autodoc_annotations", None)
    if annotations is None:  # Sphinx < 8.2
        annotations = app.env.temp_data.get("annotations", {})
    annotations.get(name, {}).pop("return", None)


def setup(app: Any) -> None:
    app.connect("autodoc-process-signature", _drop_exception_return_type)
