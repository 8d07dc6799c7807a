"""``parley-bot``: a headless participant over the same session layer as the desktop app.

It joins with synthetic devices, stays, leaves, and reports what it received. It is the load
generator of bench/ and the backbone of the end-to-end tests. It never imports Qt.

    parley-bot JOIN_URL [--name NAME] [--camera synthetic|none] [--mic synthetic|none]
               [--screen synthetic|none] [--share-file PATH] [--share-for SECONDS] [--say TEXT] [--raise-hand]
               [--duration SECONDS] [--light] [--muted] [--json]
               [--room echo[:DELAY_MS]|headphones] [--no-echo-cancellation] [--voice-seed N]

With ``--screen synthetic`` it also shares a synthetic screen (a scrolling document, 1920x1080
at 15 fps by default); refused because two others share, it tries again when one stops.

With ``--room`` it talks (synthetic speech, a voice of its own chosen by ``--voice-seed``) and
listens in a simulated room (desktop/media/synthetic/acoustic.py) through the app's own ``LocalMedia``, so
its microphone goes through the app's voice processing: ``echo`` is a laptop without headphones
(what its speaker plays comes back into its microphone DELAY_MS later, 80 by default, at -6 dB;
the talker an arm's length away), ``headphones`` a headset (no echo). ``--no-echo-cancellation``
turns echo cancellation off, as the app's setting does. The report then says, per participant,
how strongly the bot's own voice came back in what that participant sent (``own_voice_echo``:
the normalized cross-correlation of the spectrograms, 0..1, peak over lags of 0-1 s, median over
2 s windows after the first 3 s; about 0.1 is chance, 0.3 and more is hearing oneself:
media/synthetic/received.py).

The package: ``cli.py`` (arguments, ``main``; ``python -m desktop.bot``), ``options.py`` (what
the bot is asked to do), ``devices.py`` (its synthetic or replayed devices, its simulated room),
``runner.py`` (``Bot``: joins, stays, leaves, watching the session's events) and ``report.py``
(``BotReport``, the documented ``--json`` output).
"""
