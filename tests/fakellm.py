"""A scriptable OpenAI-compatible HTTP server: the test double for the language model.

The real ``openai`` client (and any other process, such as a Streamlit server started by a
test) talks to it over HTTP on 127.0.0.1, so everything up to the socket is exercised.

Start it with the ``fake_llm`` fixture (or ``with FakeLLM() as fake:``)::

    def test_something(fake_llm):
        fake_llm.script("```sql\\nSELECT 1\\n```", Reply.error(429), Reply.garbage())
        settings = Settings(openai_base_url=fake_llm.base_url, openai_api_key="sk-test")
        ...
        assert fake_llm.requests[0].messages[0]["role"] == "system"

Endpoints: ``POST /v1/chat/completions`` (streamed as SSE ``data: {...}`` chunks, with a final
usage chunk when ``stream_options.include_usage`` is set, then ``data: [DONE]``; or one JSON
body) and ``GET /v1/models``.

Scripting — ``fake.script(*replies)`` appends to a queue; each chat request takes the next one:

- a ``str`` or ``Reply.text(content, usage=(prompt, completion) | None)``: the model's message.
  ``usage`` defaults to rough counts (characters / 4); ``None`` leaves usage out.
- ``Reply.error(status, message=None, code=None, retry_after=None)``: an OpenAI-style error
  body ``{"error": {"message", "type", "param", "code"}}`` (and a ``Retry-After`` header when
  given); 400, 401, 403, 404 (``model_not_found``), 429, 500 and 503 get realistic defaults.
  ``Reply.error(429, code="insufficient_quota")`` is OpenAI's "out of credit".
- ``Reply.garbage(body=...)``: status 200 with a body that is not JSON.
- ``Reply.drop(after_chunks=0, content="")``: close the connection without an answer (or, for
  a streamed request, after sending that many word chunks of ``content``).
- any reply accepts ``delay_s``: sleep that long before answering (for client timeouts), e.g.
  ``Reply.text("...", delay_s=5)``.

When the queue is empty ``fake.default`` answers: a ``Reply``, a ``str`` or a function
``(RecordedRequest) -> Reply | str``. The built-in default answers ``SELECT 1 AS one`` in a
```sql fence when the request's messages ask for a fenced SQL query, and a one-sentence answer
otherwise.

``fake.streaming`` is ``"sse"`` (default) or ``"refuse"``: with ``"refuse"`` a streamed request
gets a 400 ``stream`` error without consuming the queue, as some servers do.

Recording — ``fake.requests`` lists every request received (also 404s and ``/v1/models``) as
``RecordedRequest(method, path, headers, body, raw)`` with ``headers`` lower-cased, ``body``
the parsed JSON (or None) and helpers ``.messages``, ``.model``, ``.stream``, ``.all_text()``
(every message content joined) and ``.text_outside_auth()`` (everything sent except the
Authorization header, to check a secret never leaves that header). ``fake.chat_requests`` keeps
only chat completions.

``fake.reset()`` empties the queue and the record and restores the defaults.
``fake.base_url`` is ``http://127.0.0.1:<port>/v1``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

ReplyKind = Literal["text", "error", "garbage", "drop"]
Streaming = Literal["sse", "refuse"]

_ERROR_DEFAULTS: dict[int, tuple[str, str, str]] = {
    400: ("Bad request.", "invalid_request_error", "bad_request"),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to use this model.", "invalid_request_error", "forbidden"),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    429: ("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request.", "server_error", ""),
    503: ("The engine is currently overloaded.", "server_error", ""),
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer to one chat request."""

    kind: ReplyKind = "text"
    content: str = ""
    status: int = 200
    message: str | None = None
    code: str | None = None
    usage: tuple[int, int] | None | Literal["auto"] = "auto"
    delay_s: float = 0.0
    after_chunks: int = 0
    body: bytes = b""
    retry_after: float | None = None

    @classmethod
    def text(
        cls,
        content: str,
        *,
        usage: tuple[int, int] | None | Literal["auto"] = "auto",
        delay_s: float = 0.0,
    ) -> Reply:
        return cls("text", content=content, usage=usage, delay_s=delay_s)

    @classmethod
    def error(
        cls,
        status: int,
        message: str | None = None,
        code: str | None = None,
        *,
        retry_after: float | None = None,
        delay_s: float = 0,
    ) -> Reply:
        return cls(
            "error",
            status=status,
            message=message,
            code=code,
            retry_after=retry_after,
            delay_s=delay_s,
        )

    @classmethod
    def garbage(cls, body: bytes = b"<html>502 Bad Gateway</html>", delay_s: float = 0) -> Reply:
        return cls("garbage", body=body, delay_s=delay_s)

    @classmethod
    def drop(cls, after_chunks: int = 0, content: str = "", delay_s: float = 0.0) -> Reply:
        """Cut the connection; a streamed request first gets ``after_chunks`` of ``content``."""
        return cls("drop", content=content, after_chunks=after_chunks, delay_s=delay_s)


ReplyLike = Reply | str
DefaultReply = ReplyLike | Callable[["RecordedRequest"], ReplyLike]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None
    raw: bytes

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list((self.body or {}).get("messages", []))

    @property
    def model(self) -> str | None:
        return (self.body or {}).get("model")

    @property
    def stream(self) -> bool:
        return bool((self.body or {}).get("stream"))

    def all_text(self) -> str:
        """Every message's content, joined: what the model was shown."""
        return "\n".join(_content_text(m.get("content")) for m in self.messages)

    def text_outside_auth(self) -> str:
        """The whole request except the Authorization header."""
        headers = "\n".join(f"{k}: {v}" for k, v in self.headers.items() if k != "authorization")
        return f"{self.method} {self.path}\n{headers}\n\n{self.raw.decode('utf-8', 'replace')}"


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def default_reply(request: RecordedRequest) -> Reply:
    """SQL when the messages ask for a fenced query, a sentence otherwise."""
    if "```sql" in request.all_text():
        return Reply.text("Counting one row.\n```sql\nSELECT 1 AS one\n```")
    return Reply.text("The result table answers the question.")


def _rough_tokens(text: str) -> int:
    return max(1, len(text) // 4)


class FakeLLM:
    """The server plus its script and record; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[ReplyLike] = deque()
        self._requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self.default: DefaultReply = default_reply
        self.streaming: Streaming = "sse"
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FakeLLM:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops listening and cuts open keep-alive connections, so the server is really gone."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            _shutdown_quietly(connection)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting and record --------------------------------------------------------------
    def script(self, *replies: ReplyLike) -> FakeLLM:
        with self._lock:
            self._queue.extend(replies)
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self.default = default_reply
            self.streaming = "sse"

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_reply(self, request: RecordedRequest) -> Reply:
        with self._lock:
            reply: DefaultReply = self._queue.popleft() if self._queue else self.default
        if callable(reply):
            reply = reply(request)
        return Reply.text(reply) if isinstance(reply, str) else reply

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def _track(self, connection: socket.socket, open_: bool) -> None:
        with self._lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


def _shutdown_quietly(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


def _handler_for(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        owner = fake

    return Handler


class _Handler(BaseHTTPRequestHandler):
    owner: FakeLLM
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, open_=True)

    def finish(self) -> None:
        self.owner._track(self.connection, open_=False)
        with contextlib.suppress(OSError):
            super().finish()

    # --- routing ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._read_request()
        if self.path.rstrip("/").endswith("/v1/models"):
            self._send_json(200, {"object": "list", "data": [_model_entry("fake-model")]})
        else:
            self._send_json(404, _error_body("Not found.", "invalid_request_error", None))

    def do_POST(self) -> None:
        request = self._read_request()
        if not self.path.rstrip("/").endswith("/v1/chat/completions"):
            self._send_json(404, _error_body("Not found.", "invalid_request_error", None))
            return
        if request.body is None:
            self._send_json(400, _error_body("Body is not JSON.", "invalid_request_error", None))
            return
        if request.stream and self.owner.streaming == "refuse":
            self._send_json(
                400, _error_body("Streaming is not supported.", "invalid_request_error", None)
            )
            return
        reply = self.owner._next_reply(request)
        if reply.delay_s:
            self.owner._sleep(reply.delay_s)
        try:
            self._answer(request, reply)
        except OSError:
            self.close_connection = True  # the client gave up (its timeout) or we are stopping

    def _answer(self, request: RecordedRequest, reply: Reply) -> None:
        if reply.kind == "error":
            self._send_error_reply(request, reply)
        elif reply.kind == "garbage":
            self._send_bytes(200, reply.body, "application/json")
        elif reply.kind == "drop" and not (request.stream and reply.after_chunks):
            self._drop()
        elif request.stream:
            self._stream(request, reply)
        else:
            self._send_json(200, _completion(request, reply))

    # --- request / response plumbing -------------------------------------------------------
    def _read_request(self) -> RecordedRequest:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body if isinstance(body, dict) else None,
            raw=raw,
        )
        self.owner._record(request)
        return request

    def _send_error_reply(self, request: RecordedRequest, reply: Reply) -> None:
        message, kind, code = _ERROR_DEFAULTS.get(
            reply.status, ("Error.", "invalid_request_error", "")
        )
        message = (reply.message or message).replace("{model}", str(request.model))
        headers = {} if reply.retry_after is None else {"Retry-After": f"{reply.retry_after:g}"}
        body = _error_body(message, kind, reply.code or code or None)
        self._send_json(reply.status, body, headers)

    def _send_json(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_bytes(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        self.close_connection = True
        _shutdown_quietly(self.connection)

    def _stream(self, request: RecordedRequest, reply: Reply) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        include_usage = bool((request.body or {}).get("stream_options", {}).get("include_usage"))
        for index, chunk in enumerate(_stream_chunks(request, reply, include_usage)):
            if reply.kind == "drop" and index > reply.after_chunks:
                self._drop()
                return
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


# --- OpenAI-shaped payloads ----------------------------------------------------------------
def _error_body(message: str, kind: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _model_entry(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "tabletalk-tests"}


def _usage(request: RecordedRequest, reply: Reply) -> dict[str, int] | None:
    if reply.usage is None:
        return None
    if reply.usage == "auto":
        prompt, completion = _rough_tokens(request.all_text()), _rough_tokens(reply.content)
    else:
        prompt, completion = reply.usage
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(request: RecordedRequest, reply: Reply) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model or "fake-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": "stop",
            }
        ],
    }
    usage = _usage(request, reply)
    if usage is not None:
        payload["usage"] = usage
    return payload


def _split_words(text: str) -> list[str]:
    """Chunks the way models stream: a word (with its leading space) at a time."""
    pieces: list[str] = []
    for index, word in enumerate(text.split(" ")):
        pieces.append(word if index == 0 else " " + word)
    return [p for p in pieces if p]


def _stream_chunks(
    request: RecordedRequest, reply: Reply, include_usage: bool
) -> Iterator[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.model or "fake-model",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    for piece in _split_words(reply.content):
        yield chunk({"content": piece})
    yield chunk({}, finish="stop")
    usage = _usage(request, reply)
    if include_usage and usage is not None:
        yield {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.model or "fake-model",
            "choices": [],
            "usage": usage,
        }


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    """A running fake server, fresh for each test."""
    with FakeLLM() as fake:
        yield fake


__all__ = ["FakeLLM", "RecordedRequest", "Reply", "default_reply", "fake_llm"]
