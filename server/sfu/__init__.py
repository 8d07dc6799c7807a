"""The forwarding unit: RTP packets from each publisher's up track to its subscribers' down
tracks, never decoded; aiortc is reached only through ``seam.py``."""
