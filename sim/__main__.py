"""``python -m sim``: the alliance-sim command line."""

import sys

from sim.cli import main

sys.exit(main())
