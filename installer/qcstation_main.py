"""The frozen bundle's entry point: the same `qcstation` command as the installed package."""

import sys

from qcstation.cli import main

if __name__ == "__main__":
    sys.exit(main())
