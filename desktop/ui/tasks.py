"""TaskGroup: the one owner of the front-end's background tasks.

Qt signals start coroutines (a button leaves the call, a menu shares a screen); each becomes a
task held here until it ends, so none is garbage-collected mid-way, a failure is logged rather
than lost, and shutdown can wait for what is still running. The app makes one and hands it to
the flow and every controller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskGroup:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run ``coro`` as a task kept until it ends; its failure is logged."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("task failed", exc_info=task.exception())

    async def wait(self) -> None:
        """Wait for every task still running (but the caller's own), whatever their outcome."""
        others = [t for t in self._tasks if t is not asyncio.current_task()]
        if others:
            await asyncio.gather(*others, return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)
