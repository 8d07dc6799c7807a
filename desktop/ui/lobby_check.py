"""LobbyCheck: as the lobby opens, ask the server whether its link would get in, and as whom.

An ended meeting, a bad or revoked link, a removed attendee: the lobby says so in a sentence
with what to do, and Join is off. An unreachable server: the lobby says so, and Join stays (it
may be back). A link made for a named attendee: that name is the lobby's name (the server keeps
it whatever a join says). The details go to the log. An untrusted certificate says nothing
here: Join asks about it (TrustDialog).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from ..session.join_check import JoinCheck, check_join
from ..session.meeting_session import JoinFailed
from ..session.reasons import JoinProblem, describe_join_failure
from .i18n import REASONS, translator
from .lobby_window import LobbyWindow

logger = logging.getLogger(__name__)

Spawn = Callable[[Coroutine[Any, Any, Any]], "asyncio.Task[Any] | None"]


class LobbyCheck:
    def __init__(self, spawn: Spawn, trust) -> None:
        """``trust``: the certificates the user trusted (``Settings.trusted_certificates``)."""
        self._spawn = spawn
        self._trust = trust
        self._url: str | None = None  # the link being checked (a newer one supersedes it)
        self.result: JoinCheck | JoinFailed | None = None  # what the last check found (tests)

    def start(self, lobby: LobbyWindow, join_url: str) -> None:
        self._url = join_url
        self.result = None
        self._spawn(self._check(lobby, join_url))

    def stop(self) -> None:
        """The lobby is left (Join, Back): a late answer changes nothing."""
        self._url = None

    async def _check(self, lobby: LobbyWindow, join_url: str) -> None:
        try:
            result: JoinCheck | JoinFailed = await check_join(join_url, self._trust)
        except JoinFailed as exc:
            result = exc
        if join_url != self._url:  # joined, went back, or another link since
            return
        self.result = result
        if isinstance(result, JoinCheck):
            if result.name:
                lobby.set_invited_name(result.name)
            return
        if result.reason == JoinProblem.UNTRUSTED_CERTIFICATE:
            return
        logger.info("the lobby's check of the meeting link: %s (%s)", result.reason, result.message)
        lobby.show_error(describe_join_failure(result.reason, translator(REASONS)))
        lobby.set_joinable(result.reason == JoinProblem.CONNECTION_FAILED)
