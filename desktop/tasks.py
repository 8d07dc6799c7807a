"""One owner for background tasks: started here, referenced here, stopped here. No Qt.

Every part of the session has one, and the Qt front-end has one for the coroutines its signals
start (a button leaves the call, a menu shares a screen).

asyncio keeps only a weak reference to a task, so a task nobody holds may be collected while
it runs; a task that fails with nobody awaiting it fails silently. A :class:`TaskOwner` holds
every task it spawns until the task is done, logs a task that fails, and on :meth:`close`
cancels every task still running and waits for them to finish. ``close`` may be called more
than once (the second call does nothing), and a task may call it (it does not wait for itself).
After ``close`` nothing new is started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskOwner:
    def __init__(self, name: str) -> None:
        """``name``: whose tasks these are, for the log."""
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Run ``coro`` as a task owned here; None (and ``coro`` is not run) once closed."""
        if self.closed:
            coro.close()
            return None
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            logger.error("%s: a background task failed", self.name, exc_info=(type(error), error, error.__traceback__))

    def __len__(self) -> int:
        """How many tasks are running."""
        return len(self._tasks)

    async def wait(self) -> None:
        """Wait for every task still running (but the caller's own), whatever their outcome,
        without cancelling them (the front-end's shutdown lets a leave finish)."""
        current = asyncio.current_task()
        others = [task for task in self._tasks if task is not current]
        if others:
            await asyncio.gather(*others, return_exceptions=True)

    async def close(self) -> None:
        """Cancel every running task (but the caller's own) and wait until they have finished."""
        if self.closed:
            return
        self.closed = True
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
