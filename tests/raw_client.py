"""A signalling socket opened by hand on loopback, as the app opens it, keeping every frame
it gets with its size: for tests that watch exactly what the server sends."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from support import Server
from wire import MAX_MESSAGE_BYTES, ChatHistoryRequest, Join, ProtocolError, encode


class RawClient:
    """One signalling socket, as the app opens it (the same receive limit), keeping every
    frame it gets with its size."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[tuple[int, dict[str, Any]]] = []
        self._rid = 0

    @classmethod
    async def join(cls, session: aiohttp.ClientSession, base_url: str, meeting_id: str, token: str,
                   name: str | None = None, content: bool = False) -> RawClient:
        ws = await session.ws_connect(base_url.replace("http", "ws", 1) + "/v1/rtc",
                                      max_msg_size=4 * MAX_MESSAGE_BYTES)
        client = cls(ws)
        await client.send(Join(meeting_id=meeting_id, token=token, name=name, content=content))
        return client

    async def send(self, message) -> int:
        self._rid += 1
        await self.ws.send_str(encode(message, self._rid))
        return self._rid

    async def next(self, type_: str, rid: int | None = None) -> dict[str, Any]:
        """The next frame of ``type_`` (and ``rid``), reading (and keeping) what comes before."""
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), 10)
            assert msg.type == aiohttp.WSMsgType.TEXT, f"socket closed: {msg}"
            size = len(msg.data.encode("utf-8"))
            body = json.loads(msg.data)
            self.frames.append((size, body))
            if body["type"] == type_ and (rid is None or body.get("rid") == rid):
                return body
            if body["type"] == "error" and rid is not None and body.get("rid") == rid:
                raise ProtocolError(body["code"], body["message"])

    async def page(self, before: int | None) -> dict[str, Any]:
        rid = await self.send(ChatHistoryRequest(before=before))
        return await self.next("chat_history", rid)

    def size_of_last(self) -> int:
        return self.frames[-1][0]

    async def close(self) -> None:
        await self.ws.close()


async def attendee(server: Server, meeting_id: str, name: str, role: str = "participant") -> tuple[str, str]:
    data = await server.add_attendee(meeting_id, user_id=f"u-{name}", name=name, role=role)
    return data["attendee"]["id"], data["join_token"]
