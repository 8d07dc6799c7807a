"""Parley: the desktop app, its media and session layers, and the bot."""

__version__ = "0.1.0"  # also in pyproject.toml, packaging/linux/*.metainfo.xml and macos/Info.plist
