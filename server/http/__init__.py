"""The server's HTTP edge: REST under ``/v1``, the signalling WebSocket at ``/v1/rtc``,
``/healthz``, ``/metrics`` and the OpenAPI document.

It reads the parts the composition root (``server/app.py``) built from the app's keys
(``keys.py``) and never builds them itself; nothing below this package imports it.
"""
