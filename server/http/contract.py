"""One row per REST route: method, path, handler, who may call, the request body and reply
types, the success status and the refusals it can answer. ``routes.py`` holds the table;
``install`` turns each row into an aiohttp route and ``openapi.py`` into the document, so what
is served and what is documented come from the same row.

A JSON route's handler returns an instance of the row's reply dataclass, which is written with
``wire.to_dict`` and the row's status. A route with a body gets a second argument, ``read``:
``await read()`` is the body as the row's body dataclass (an empty body counts as ``{}``), so a
handler can refuse an unknown meeting before it judges the body. A route whose reply is
:class:`Raw` answers with whatever response its handler makes.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from wire import from_dict, load_object, to_dict

from .auth import is_api_key, presented_bearer, require_api_key
from .callers import RestLimiter, too_many
from .keys import REST_LIMITER_KEY


#: What a route with a body hands its handler: ``await read()`` is the body.
Read = Callable[[], Awaitable[Any]]


class Auth(enum.Enum):
    """Who may call a route."""

    NONE = "none"
    #: ``Authorization: Bearer <api key>``, checked before the handler runs
    API_KEY = "api key"
    #: the API key or an attendee's join token; the handler tells them apart
    API_KEY_OR_JOIN_TOKEN = "api key or join token"
    #: a join token (an attendee's or an invite link's); the handler checks it
    JOIN_TOKEN = "join token"
    #: the API key, unless the operator made the route public (``/metrics``,
    #: ``--metrics-public``); the handler checks
    API_KEY_UNLESS_PUBLIC = "api key unless public"


@dataclass(frozen=True)
class Raw:
    """A reply the handler writes itself, as the document shows it."""

    description: str
    #: None: no body (a protocol switch)
    content_type: str | None = None
    schema: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[..., Awaitable[Any]]
    operation_id: str
    tag: str
    summary: str
    #: a dataclass (JSON) or Raw
    reply: Any
    #: what the success reply means
    answer: str = ""
    status: int = 200
    body: type | None = None
    auth: Auth = Auth.API_KEY
    #: refusals besides those every route of its kind can answer (``refusals``)
    errors: tuple[int, ...] = ()
    #: path parameter -> where this reply holds it, to link to the routes that take it
    links: dict[str, str] = field(default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    @property
    def body_required(self) -> bool:
        """Whether the body has a field without a default (else an empty body will do)."""
        return self.body is not None and any(
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            for f in dataclasses.fields(self.body))

    @property
    def rate_limited(self) -> bool:
        """Whether calls are counted per caller (``callers.RestLimiter``): every route but a
        protocol switch (the WebSocket has limits of its own)."""
        return self.status != 101

    def refusals(self) -> list[int]:
        """Every refusal's HTTP status: a body can be malformed (400) or too large (413), a
        call with a key or token can be unauthorized (401), a caller can call too often (429),
        plus the row's own."""
        statuses = set(self.errors)
        if self.body is not None:
            statuses |= {400, 413}
        if self.auth is not Auth.NONE:
            statuses.add(401)
        if self.rate_limited:
            statuses.add(429)
        return sorted(statuses)


async def read_body(request: web.Request, cls: type) -> Any:
    """The JSON object of the request as ``cls``; an empty body counts as ``{}``."""
    raw = await request.read()
    data = load_object(raw, "body") if raw.strip() else {}
    return from_dict(cls, data, "body")


def install(app: web.Application, routes: tuple[Route, ...]) -> None:
    """Add every row of ``routes`` to ``app``'s router, with a limit per caller."""
    app[REST_LIMITER_KEY] = RestLimiter()
    for route in routes:
        if route.method == "GET":
            app.router.add_get(route.path, _serve(route))  # and HEAD, answered like the GET
        else:
            app.router.add_route(route.method, route.path, _serve(route))


def _serve(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    body_type = route.body

    async def serve(request: web.Request) -> web.StreamResponse:
        if route.rate_limited:
            presented = presented_bearer(request)
            wait = request.app[REST_LIMITER_KEY].wait(
                request.remote, presented, bool(presented) and is_api_key(request, presented))
            if wait:
                return too_many(wait, "this caller")
        if route.auth is Auth.API_KEY:
            require_api_key(request)
        if body_type is None:
            reply = await route.handler(request)
        else:
            reply = await route.handler(request, lambda: read_body(request, body_type))
        if isinstance(route.reply, Raw):
            return reply
        if not isinstance(reply, route.reply):
            raise TypeError(f"{route.operation_id} answered {type(reply).__name__}, not {route.reply.__name__}")
        return web.json_response(to_dict(reply), status=route.status)

    serve.__name__ = route.handler.__name__
    serve.__doc__ = route.handler.__doc__
    return serve
