"""``python -m xentara_sync``: the command line."""

import sys

from .cli import main

sys.exit(main())
