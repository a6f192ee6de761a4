"""``python -m aoineco_ledger``: the same command line as ``aoineco-ledger``."""

from __future__ import annotations

import sys

from aoineco_ledger.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
