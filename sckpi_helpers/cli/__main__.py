"""``python -m sckpi_helpers.cli`` — the same as the ``sckpi`` command.

Stage 13 (cli): may import every stage; nothing imports it.
"""

import sys

from sckpi_helpers.cli import main

sys.exit(main())
