"""Janus VideoRoom as Parley's media backend (``--media janus``): ``backend.py`` (instances,
placement, loss), ``videoroom.py`` (a meeting's VideoRoom and the room's peers on it),
``connection.py`` (Janus's WebSocket API)."""
