"""Servers Whirlpool starts on this machine (the demo site, a mail catcher, a test index) listen on
127.0.0.1 only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"
# For collect.allow_private_networks: the one address of these local sites, not all of 127.0.0.0/8.
LOOPBACK_ONLY = [f"{LOOPBACK}/32"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1, for servers that cannot bind port 0 themselves (aiosmtpd 1.4.6
    fails its start-up check with port=0; noida-db takes a fixed port)."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Request:
    """What a loopback site's responder sees of a request."""

    method: str
    path: str  # without the query string
    headers: Mapping[str, str]  # looked up without regard to case (an email.message.Message)


@dataclass
class Response:
    """A status, headers and a body: bytes, or chunks written one by one as the iterable yields them
    (a slow body sleeps between chunks; it then names its Content-Length in ``headers`` itself)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


Responder = Callable[[Request], Response]


class LoopbackSite:
    """A threaded HTTP/1.1 server on 127.0.0.1 (a free port) answering every GET and HEAD with
    ``respond(request)``: the one server behind the demo site, the tests' fixture site and the collect
    benchmark's site. Quiet, daemon threads, a deep accept queue (a crawl opens many connections at once)."""

    def __init__(self, respond: Responder, name: str = "loopback-site"):
        self._respond = respond
        self._name = name
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` once started."""
        if self._server is None:
            return ""
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> LoopbackSite:
        respond = self._respond

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                request = Request(self.command, self.path.split("?", 1)[0], self.headers)
                response = respond(request)
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                if isinstance(response.body, bytes | bytearray):
                    self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(response.body)
                    return
                self.end_headers()
                for chunk in response.body:
                    if self.command != "HEAD":
                        self.wfile.write(chunk)
                        self.wfile.flush()

            do_HEAD = do_GET

            def log_message(self, format: str, *args: object) -> None:  # quiet
                return None

        server = ThreadingHTTPServer((LOOPBACK, 0), Handler, bind_and_activate=False)
        server.request_queue_size = 512  # the default 5 drops connections when a crawl opens many
        server.daemon_threads = True
        server.server_bind()
        server.server_activate()
        self._server = server
        threading.Thread(target=server.serve_forever, name=self._name, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
