"""What every Qt device adapter shares: a Qt device's id as text, and the asyncio loop a track
is consumed on (Qt delivers frames and audio on its own threads)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from PySide6.QtMultimedia import QAudioDevice, QCameraDevice

__all__ = ["LoopBinding", "device_id"]


def device_id(qdevice: QCameraDevice | QAudioDevice) -> str:
    """A stable string for a Qt device id (a QByteArray that may not be text)."""
    return bytes(qdevice.id()).hex()


class LoopBinding:
    """The asyncio loop a track is consumed on, learnt in ``recv``, and a way to reach it."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: int | None = None

    def bind(self) -> bool:
        """Bind to the running loop; True the first time."""
        loop = asyncio.get_running_loop()
        first = self.loop is None
        if loop is not self.loop:
            self.loop, self.thread = loop, threading.get_ident()
        return first

    def call(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the loop (now, when we are on it or it is unknown)."""
        loop = self.loop
        if loop is None or threading.get_ident() == self.thread:
            callback()
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            pass

    def wake(self, event: asyncio.Event) -> None:
        """Set ``event`` from any thread (nothing to wake before the first ``recv``)."""
        loop = self.loop
        if loop is not None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass
