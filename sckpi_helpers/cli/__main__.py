"""``python -m sckpi_helpers.cli`` — the same as the ``sckpi`` command."""

import sys

from sckpi_helpers.cli import main

sys.exit(main())
