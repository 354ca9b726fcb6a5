"""Run the command line with ``python -m covet``."""

from __future__ import annotations

import sys

from covet.cli import main

# The guard matters: server workers started with multiprocessing "spawn" re-import
# this module as ``__mp_main__`` and must not run the command line again.
if __name__ == "__main__":
    sys.exit(main())
