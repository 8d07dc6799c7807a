"""Parley."""
from wire import Capability, EndReason, ModerationAction, ShareEnd  # noqa: F401 - re-exported: the protocol's words, for the front-ends
