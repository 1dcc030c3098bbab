"""``python -m xentara_sync.simulator``: the same as ``xentara-sync simulate``."""

import argparse
import sys

from . import cli

parser = argparse.ArgumentParser(prog="python -m xentara_sync.simulator", description=cli.__doc__)
cli.configure(parser)
sys.exit(cli.run(parser.parse_args()))
