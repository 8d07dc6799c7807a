"""The idle sources that need Qt: the desktop's D-Bus idle monitors (`dbus.py`, through QtDBus)
and the in-app fallback that sees input in Parley's own windows (`app_input.py`)."""
