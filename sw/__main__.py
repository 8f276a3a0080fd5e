"""``python -m edgemoe ...``: the same command line as the ``edgemoe`` script."""
import sys

from edgemoe.cli import main

if __name__ == "__main__":
    sys.exit(main())
