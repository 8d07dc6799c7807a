"""``python -m server``: the same as ``parley-server``."""

from .cli import main

raise SystemExit(main())
