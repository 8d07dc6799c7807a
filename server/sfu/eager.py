"""Running a coroutine at once, from a callback that cannot await (standard library only).

The forwarding unit handles each received datagram inside the socket's callback
(seam.receive_directly): handling one packet usually never waits, so it is not worth a task
(one more event-loop turn per packet). :func:`run_now` runs the coroutine until it first waits,
and only then hands what is left of it to a task.
"""

from __future__ import annotations

import asyncio
import logging

__all__ = ["run_now"]

logger = logging.getLogger("server.sfu.seam")


class _Resume:
    """Await the rest of a coroutine that was started by hand (``coro.send(None)``) and
    suspended on ``pending``: a task can then drive it to the end."""

    def __init__(self, coro, pending) -> None:  # noqa: ANN001 - a coroutine and what it yielded
        self._coro, self._pending = coro, pending

    def __await__(self):
        value = self._pending
        while True:
            try:
                sent = yield value
            except BaseException as exc:  # noqa: BLE001 - thrown into the task: pass it on
                try:
                    value = self._coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                value = self._coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _resume(coro, pending) -> None:  # noqa: ANN001
    try:
        await _Resume(coro, pending)
    except Exception:
        logger.exception("handling a received packet failed")


def run_now(coro) -> None:  # noqa: ANN001 - a coroutine
    """Run ``coro`` until it first waits (handling one packet usually never does); what is left
    of it goes on in a task. (Any other awaitable goes in a task.)"""
    if not asyncio.iscoroutine(coro):
        asyncio.ensure_future(coro)
        return
    try:
        pending = coro.send(None)
    except StopIteration:
        return
    except Exception:
        logger.exception("handling a received packet failed")
        return
    asyncio.ensure_future(_resume(coro, pending))
