"""Parley's shared seams into aiortc/aioice: what both the meeting server and the app must reach
in the same process without stepping on each other. It may import aiortc and aioice, never
``server`` or ``desktop``."""
