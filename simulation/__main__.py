"""``python -m simulation <command>``: see simulation.cli."""

import sys

from simulation.cli import main

sys.exit(main())
