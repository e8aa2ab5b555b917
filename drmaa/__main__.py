"""Entry point of ``python -m drmaa``: see :mod:`drmaa._diagnose`."""

import sys

from drmaa._diagnose import main

if __name__ == "__main__":
    sys.exit(main())
