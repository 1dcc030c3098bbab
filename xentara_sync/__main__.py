"""``python -m xentara_sync``: the command line."""

import sys

from .tools.cli import main

sys.exit(main())
