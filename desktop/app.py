"""The composition root of the Parley desktop app (``parley``).

The Qt front-end (lobby, call window) is being built; until it lands, ``parley`` says so and
points at the headless front-end over the same session layer, ``parley-bot``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print(
        "parley: the desktop window is not available in this build yet.\n"
        "Join a meeting headless with: parley-bot JOIN_URL --json",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
