"""``python -m desktop.bot``: the same as ``parley-bot``."""

import sys

from .cli import main

sys.exit(main())
