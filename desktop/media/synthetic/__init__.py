"""Synthetic media and the instruments that measure it: for the bot, tests, benchmarks and
``parley --fake-devices``; production media never imports this package.

- ``capture.py``: the synthetic camera, screen and microphone (aiortc tracks paced in real time
  by ``RealTimePacer``); ``patterns.py`` and ``presenter.py``: the pictures they film (a moving
  test pattern, a desktop with a scrolling document, a presenter before a bookshelf).
- ``stamp.py``: the frame stamp (frame number and capture time, readable after VP8).
- ``backend.py``: ``SyntheticBackend`` (cameras, microphone, ``SilentSpeaker``) and
  ``SyntheticScreens``, the synthetic ``DeviceBackend`` and ``ScreenCatalog``.
- ``replay.py``: pre-encoded replay tracks, which need no encoder (``parley-bot --light``).
- ``talker.py``, ``acoustic.py``, ``received.py``: a synthetic voice, a simulated laptop room
  whose speaker comes back into its microphone, and how strongly a voice is in what came back.
- ``clip.py``: a short video file made in code (for sharing a file in tests and the bench).
"""
