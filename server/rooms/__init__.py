"""Live meetings: rooms, their participants, what each receives, and the rules a live meeting
keeps (video slots, shares, host controls). Media goes through the peer connections of a
``media.PeerFactory`` handed in; nothing here imports aiortc."""
