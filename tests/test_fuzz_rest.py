"""The REST API against its own OpenAPI document: schemathesis fuzzes a live server with what
``GET /v1/openapi.json`` describes (valid and invalid requests), and every answer must be
documented, never a 5xx, and conform to the document's schemas. Also: every route of the app
is in the document and nothing else is.

The server runs in a thread with its own event loop on 127.0.0.1 (schemathesis calls it with
blocking ``requests``); webhook deliveries are switched off, so no fuzzed URL is ever
contacted. Each operation is one subtest, fuzzed with ``operation.as_strategy()`` under
hypothesis' ``@given`` (``schemathesis.pytest.from_fixture`` fails on pytest 9, which no longer
has ``request.node._nodeid``). Deterministic: hypothesis runs derandomized, without an example
database.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.app import start_server
from server.clock import ManualClock
from server.http.keys import MEETINGS_KEY, WEBHOOKS_KEY
from server.http.openapi import OPENAPI_PATH
from server.http.routes import openapi_document
from support import API_KEY, AUTH, Server, config_for
from wire import MAX_JSON_DEPTH, MAX_MESSAGE_BYTES, ErrorCode

#: PARLEY_FUZZ_SCALE=10 runs ten times the examples; PARLEY_FUZZ_RANDOM=1 draws new ones each
#: run (for a long local hunt; CI keeps the fixed, derandomized examples).
SCALE = max(1, int(os.environ.get("PARLEY_FUZZ_SCALE", "1")))
RANDOM = os.environ.get("PARLEY_FUZZ_RANDOM") == "1"
FUZZ = settings(max_examples=40 * SCALE, deadline=None, derandomize=not RANDOM, database=None,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck))
#: Answers must be documented, well-formed and never a server error. Positive data may still
#: be refused for what a schema cannot say (an unknown call type, a meeting that ended).
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]
EXCLUDED = [positive_data_acceptance]


# --- the document -------------------------------------------------------------------------------


def documented_routes() -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in openapi_document()["paths"].items()
            for method in item if method != "parameters"}


async def test_every_route_is_documented_and_nothing_else(server: Server) -> None:
    registered = {(route.method, route.resource.canonical) for route in server.app.router.routes()
                  if route.resource is not None}
    gets = {path for method, path in registered if method == "GET"}
    heads = {path for method, path in registered if method == "HEAD"}
    assert heads <= gets  # aiohttp's automatic HEAD for each GET: not listed in the document
    assert {r for r in registered if r[0] != "HEAD"} == documented_routes()


async def test_the_document_is_served_without_a_key_and_is_valid(server: Server) -> None:
    async with server.session.get(server.base_url + OPENAPI_PATH) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        served = await response.json()
    assert served == json.loads(json.dumps(openapi_document()))
    schemathesis.openapi.from_dict(served).validate()  # against the OpenAPI 3.1 meta-schema
    assert served["components"]["schemas"]["ErrorCode"]["enum"] == [str(c) for c in ErrorCode]
    security = served["components"]["securitySchemes"]
    assert security["apiKey"] == {**security["apiKey"], "type": "http", "scheme": "bearer"}
    patch = served["paths"]["/v1/meetings/{meeting_id}"]["patch"]
    assert patch["security"] == [{"apiKey": []}, {"joinToken": []}]
    for body in ("CreateMeeting", "UpdateMeeting", "AddAttendee", "CreateInvite", "CreateCallType",
                 "UpdateCallType", "CreateWebhook", "SettingsOverride", "LimitsOverride"):
        assert served["components"]["schemas"][body]["additionalProperties"] is False, body


# --- a live server in a thread ------------------------------------------------------------------


class ThreadedServer:
    """The real server on 127.0.0.1, on an event loop of its own thread."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="parley-server", daemon=True)

    def run(self, coro) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def start(self) -> None:
        self.thread.start()
        self.runner, self.base_url, self.app = self.run(self._start())

    async def _start(self):
        # Webhook destinations allowed as they are: a server that checks them resolves the
        # host names schemathesis makes up, and a test never sends a DNS query off this machine
        # (tests/test_webhook_safety.py tests the check with addresses and localhost only).
        config = dataclasses.replace(config_for(self.data_dir), allow_private_webhooks=True)
        runner, base_url, app = await start_server(config, ManualClock())
        # Fuzzed webhooks point anywhere: never send a delivery (they stay pending in the store).
        await app[WEBHOOKS_KEY].close()
        return runner, base_url, app

    def stop(self) -> None:
        try:
            self.run(self.runner.cleanup())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    def call(self, method: str, path: str, body: Any = None, token: str = API_KEY) -> tuple[int, Any]:
        response = requests.request(method, self.base_url + path, json=body, timeout=10,
                                    headers={"Authorization": f"Bearer {token}"})
        return response.status_code, response.json()


class Fixtures:
    """Things that exist, so fuzzed requests reach past "not found" now and then."""

    def __init__(self, server: ThreadedServer) -> None:
        def meeting(**body) -> str:
            status, data = server.call("POST", "/v1/meetings", body)
            assert status == 201, data
            return data["meeting"]["id"]

        def attendee(meeting_id: str, role: str) -> str:
            status, data = server.call("POST", f"/v1/meetings/{meeting_id}/attendees",
                                       {"user_id": f"u-{role}", "name": role.title(), "role": role})
            assert status == 201, data
            return data["join_token"]

        def webhook() -> str:
            status, data = server.call("POST", "/v1/webhooks",
                                       {"url": "https://example.com/hook", "events": ["*"]})  # never sent: deliveries are off
            assert status == 201, data
            return data["webhook"]["id"]

        status, data = server.call("POST", "/v1/call-types", {
            "name": "fuzz", "grants": {"host": ["join-call", "change-max-duration"], "guest": ["join-call"]}})
        assert status == 201, data
        self.live = meeting()
        self.started = meeting(settings_override={"limits": {"max_duration_seconds": 3600}})
        server.run(_mark_started(server, self.started))
        self.ended = meeting()
        assert server.call("DELETE", f"/v1/meetings/{self.ended}")[0] == 200
        self.doomed = meeting()  # for fuzzed DELETEs
        status, data = server.call("POST", f"/v1/meetings/{self.doomed}/attendees",
                                   {"user_id": "u-doomed", "name": "Doomed", "role": "participant"})
        self.doomed_attendee = data["attendee"]["id"]
        status, data = server.call("POST", f"/v1/meetings/{self.doomed}/invites", {})
        self.doomed_invite = data["invite_id"]
        self.host_token = attendee(self.started, "host")
        self.participant_token = attendee(self.started, "participant")
        status, data = server.call("POST", f"/v1/meetings/{self.started}/invites", {})
        self.invite_token = data["invite_token"]
        self.webhook = webhook()
        self.doomed_webhook = webhook()

    def known(self, method: str, name: str) -> list[str]:
        if name == "meeting_id":
            return [self.doomed] if method == "DELETE" else [self.live, self.started, self.ended]
        if name == "attendee_id":
            return [self.doomed_attendee]
        if name == "invite_id":
            return [self.doomed_invite]
        if name == "webhook_id":
            return [self.doomed_webhook] if method == "DELETE" else [self.webhook]
        if name == "name":  # the built-in "default" cannot be changed (a bad_request)
            return ["fuzz"] if method == "PATCH" else ["default", "fuzz"]
        return []


async def _mark_started(server: ThreadedServer, meeting_id: str) -> None:
    server.app[MEETINGS_KEY].mark_started(meeting_id)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedServer, Fixtures]]:
    server = ThreadedServer(tmp_path_factory.mktemp("fuzz-rest") / "data")
    server.start()
    try:
        yield server, Fixtures(server)
    finally:
        server.stop()


class ServerLog(logging.Handler):
    """Errors the server logs (a 500, a failed task), whatever the answer said."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("server", "aiohttp")):
            self.records.append(record)


@pytest.fixture(scope="module")
def server_log() -> Iterator[ServerLog]:
    handler = ServerLog()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.fixture(scope="module")
def api_schema(live: tuple[ThreadedServer, Fixtures]) -> schemathesis.BaseSchema:
    """The document as the live server serves it."""
    server, _ = live
    return schemathesis.openapi.from_url(server.base_url + OPENAPI_PATH)


#: Where a valid request may still be malformed to the server: a URL can be refused for more
#: than a regex can say (an unparsable host or port), and a GET of the signalling route is
#: no WebSocket upgrade.
SCHEMA_CANNOT_SAY = {("POST", "/v1/webhooks"), ("GET", "/v1/rtc")}


def assert_not_malformed(case, response) -> None:
    """A request the document calls valid may be refused for what it names (an unknown call
    type or role, an ended meeting: their own codes), never as ``bad_request``: that would mean
    the document is looser than the server."""
    if response.status_code != 400 or (case.operation.method.upper(), case.operation.path) in SCHEMA_CANNOT_SAY:
        return
    error = response.json()["error"]
    assert error["code"] != "bad_request", (
        f"{case.operation.method.upper()} {case.formatted_path} with {case.body!r}: the document "
        f"allows it, the server says {error}")


def cases(operation, mode: GenerationMode, known: Fixtures) -> st.SearchStrategy:
    """Cases of ``operation``, half of them (where it has path parameters) on things that exist."""
    names = re.findall(r"{(\w+)}", operation.path)
    strategies = [operation.as_strategy(mode)]
    if names and (mode is GenerationMode.POSITIVE or operation.body):
        choices = [known.known(operation.method.upper(), name) for name in names]
        strategies += [operation.as_strategy(mode, path_parameters=dict(zip(names, values)))
                       for values in itertools.product(*choices)]
    return st.one_of(*strategies)


def test_api_conforms_to_its_document(api_schema, live, server_log: ServerLog, subtests) -> None:
    """Every operation, with valid and with invalid requests (one subtest each)."""
    server, known = live
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # schemathesis leaves out the document's own route (loaded from it)
    assert {(op.method.upper(), op.path) for op in operations} == documented_routes() - {("GET", OPENAPI_PATH)}
    for operation in operations:
        # negative cases need something to break: a path parameter or a body
        breakable = "{" in operation.path or operation.body
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 2 if breakable else 1]:
            with subtests.test(msg=f"{operation.method.upper()} {operation.path} ({mode.value})"):

                @FUZZ
                @given(case=cases(operation, mode, known))
                def call(case) -> None:
                    response = case.call_and_validate(base_url=server.base_url, headers=AUTH, checks=CHECKS,
                                                      excluded_checks=EXCLUDED, timeout=10)
                    if mode is GenerationMode.POSITIVE:
                        assert_not_malformed(case, response)

                call()
                assert not server_log.records, [r.getMessage() for r in server_log.records]


# --- PATCH with a join token --------------------------------------------------------------------


def test_patch_meeting_with_join_tokens_conforms(api_schema, live, server_log: ServerLog) -> None:
    """The one call that also takes an attendee's join token: a host's (it may change the
    duration), a participant's (it may change nothing), an invite's (it names nobody) and a
    forged one, on a started meeting."""
    server, known = live
    operation = api_schema["/v1/meetings/{meeting_id}"]["PATCH"]
    tokens = [known.host_token, known.participant_token, known.invite_token,
              known.host_token[:-3] + "abc", "not-a-token"]

    @FUZZ
    @given(case=operation.as_strategy(), token=st.sampled_from(tokens))
    def patch(case, token: str) -> None:
        case.path_parameters = {"meeting_id": known.started}
        case.call_and_validate(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"},
                               checks=CHECKS, excluded_checks=EXCLUDED, timeout=10)

    patch()
    assert not server_log.records, [r.getMessage() for r in server_log.records]
    extend = {"settings_override": {"limits": {"max_duration_seconds": 7200}}}
    status, data = past_rate_limit(lambda: server.call("PATCH", f"/v1/meetings/{known.started}", extend,
                                                       token=known.host_token))
    assert status == 200, data  # and the host can still extend it
    status, data = past_rate_limit(lambda: server.call("PATCH", f"/v1/meetings/{known.started}", extend,
                                                       token=known.participant_token))
    assert (status, data["error"]["code"]) == (403, "missing_capability")


def past_rate_limit(call: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """``call()``'s answer once it is not ``429`` (each token has its REST rate, which the
    fuzzing above may have spent; it comes back at 2 calls a second)."""
    for _ in range(5):
        status, data = call()
        if status != 429:
            break
        time.sleep(1.0)
    return status, data


# --- bodies schemathesis does not make --------------------------------------------------------


#: Surrogates kept apart, so no two of them make a valid pair once JSON has read them.
strings_with_lone_surrogates = st.lists(st.characters(categories=["Cs"]), min_size=1, max_size=3).map("x".join)


@FUZZ
@given(value=strings_with_lone_surrogates,
       where=st.sampled_from([("POST", "/v1/meetings", "call_type", {}),
                              ("POST", "/v1/meetings/{live}/attendees", "user_id", {"name": "N"}),
                              ("POST", "/v1/meetings/{live}/attendees", "name", {"user_id": "u"}),
                              ("POST", "/v1/meetings/{live}/invites", "role", {}),
                              ("POST", "/v1/webhooks", "url", {"events": ["*"]}),
                              ("POST", "/v1/call-types", "name", {"grants": {"h": []}})]))
@example(value="\ud800", where=("POST", "/v1/meetings/{live}/attendees", "name", {"user_id": "u"}))
def test_lone_surrogates_are_bad_requests(live, value: str, where) -> None:
    server, known = live
    method, path, field, rest = where
    body = json.dumps({**rest, field: "a" + value})  # ensure_ascii: "\ud800" escapes
    response = requests.request(method, server.base_url + path.format(live=known.live), data=body,
                                headers=AUTH, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"
    assert "lone surrogate" in response.json()["error"]["message"]


@pytest.mark.parametrize("raw", [
    b"[" * 100_000,
    b'{"settings_override": {"x": ' + b"[" * 900 + b"]" * 900 + b"}}",
    b'{"settings_override": {"limits": ' + b'{"a":' * MAX_JSON_DEPTH + b"1" + b"}" * MAX_JSON_DEPTH + b"}}",
])
def test_deep_nesting_is_a_bad_request(live, raw: bytes) -> None:
    server, _ = live
    response = requests.post(server.base_url + "/v1/meetings", data=raw, headers=AUTH, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": f"body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
    }


@pytest.mark.parametrize("key", ["max_duration_seconds", "inactivity_timeout_seconds"])
@pytest.mark.parametrize("value", [10**12, 10**400])
def test_durations_beyond_a_year_are_refused(live, key: str, value: int) -> None:
    """They once went in, and then the meeting could neither start nor be read (its
    ``timer_ends_at`` is past the year 9999)."""
    server, known = live
    limits = {"limits": {key: value}}
    for method, path, body, token in [
        ("POST", "/v1/meetings", {"settings_override": limits}, API_KEY),
        ("PATCH", f"/v1/meetings/{known.started}", {"settings_override": limits}, API_KEY),
        ("PATCH", f"/v1/meetings/{known.started}", {"settings_override": limits}, known.host_token),
        ("POST", "/v1/call-types", {"name": "long", "grants": {"h": []}, "settings": limits}, API_KEY),
        ("PATCH", "/v1/call-types/fuzz", {"settings": limits}, API_KEY),
    ]:
        if key != "max_duration_seconds" and token != API_KEY:
            continue  # the host's token may only change the duration
        status, data = past_rate_limit(lambda: server.call(method, path, body, token=token))
        assert status == 400, (method, path, data)
        assert data["error"]["code"] == "bad_request"
        assert data["error"]["message"] == f"settings.limits.{key} must be at most 31536000 (a year)"
    assert server.call("GET", f"/v1/meetings/{known.started}")[0] == 200


def test_a_body_over_the_limit_says_so(live) -> None:
    server, _ = live
    response = requests.post(server.base_url + "/v1/meetings", data=b" " * (MAX_MESSAGE_BYTES + 1),
                             headers=AUTH, timeout=10)
    assert response.status_code == 413
    assert response.json() == {"error": {
        "code": "message_too_large", "message": f"Maximum request body size {MAX_MESSAGE_BYTES} exceeded."}}


@pytest.mark.parametrize("url, message", [
    ("http://a%/hook", "url has no valid host name: 'a%'"),
    ("http://a..b/hook", "url has no valid host name: 'a..b'"),
    ("http://example.org:0/hook", "url must not name port 0"),
    ("http://example.org:65536/hook", "url is not a valid URL: Port out of range 0-65535"),
])
def test_webhook_urls_need_a_real_host_and_port(live, url: str, message: str) -> None:
    server, _ = live
    status, data = server.call("POST", "/v1/webhooks", {"url": url, "events": ["*"]})
    assert (status, data["error"]) == (400, {"code": "bad_request", "message": message})
