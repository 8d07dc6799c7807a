"""The Parley meeting server (``parley-server``).

Read it in this order: ``meetings.py`` (the rules of a meeting's life), ``rooms/`` (a live
meeting: who is there, who receives what), ``sfu/`` (the forwarding unit behind the rooms'
peer factory), ``http/`` (the edge: the route table, REST, the signalling WebSocket), then
``app.py`` (the composition root that builds and wires them) and ``cli.py`` (the process).
"""
