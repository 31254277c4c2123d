"""``python -m nnmf_core``: see :mod:`nnmf_core.command_line` (``--help`` is the manual)."""

import sys

from nnmf_core.command_line import main

if __name__ == "__main__":
    sys.exit(main())
