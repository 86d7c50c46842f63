"""``python -m simulation <command>``: see simulation.cli."""

import sys

from simulation.cli import main

# guarded: Dask and spawn-started workers import this module again as __mp_main__
if __name__ == "__main__":
    sys.exit(main())
