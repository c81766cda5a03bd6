"""A small threaded WSGI server that keeps HTTP/1.1 connections open, as LINE's API does.

werkzeug's development server answers every request with ``Connection: close`` (on purpose,
since 2.1), so a client that reuses connections, such as the SDK's urllib3 pool, would pay a
new TCP connection (and the server a new thread) for every call to the stand-in: a cost LINE
itself never imposes, which would make the tests and benchmarks measure the wrong thing.

Only what the stand-in needs: request bodies with Content-Length, whole responses (the WSGI
app's iterable is joined), one thread per connection, idle connections closed after a while.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
IDLE_SECONDS = 30.0  # a kept-alive connection with no request for this long is closed
_HOP_BY_HOP = frozenset({"connection", "content-length", "transfer-encoding", "keep-alive"})


class KeepAliveServer(ThreadingHTTPServer):
    """`ThreadingHTTPServer` serving a WSGI app over HTTP/1.1 keep-alive connections."""

    daemon_threads = True  # a connection left open by a client never blocks shutdown
    request_queue_size = 128  # many clients connect at once under load

    def __init__(self, host: str, port: int, app: WSGIApp) -> None:
        self.app = app
        super().__init__((host, port), _Handler)

    @property
    def host(self) -> str:
        return str(self.server_address[0])

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client asks to close
    timeout = IDLE_SECONDS
    disable_nagle_algorithm = True  # small answers go out at once, not after a delayed ACK
    wbufsize = -1  # buffered: status, headers and body leave in one write
    server: KeepAliveServer

    def log_message(self, format: str, *args: Any) -> None:
        """No access log line per request."""

    def _serve(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "Content-Length required")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        answer: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):  # type: ignore[no-untyped-def]
            answer[:] = [status, headers]
            return lambda data: None  # the legacy write() callable: unused by Flask

        chunks = self.server.app(self._environ(body, length), start_response)
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        status, headers = answer
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def _environ(self, body: bytes, length: int) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length),
            "SERVER_NAME": self.server.host,
            "SERVER_PORT": str(self.server.port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": self.client_address[1],
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name in set(self.headers.keys()):
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = ",".join(self.headers.get_all(name) or [])
        return environ


def make_keepalive_server(host: str, port: int, app: WSGIApp) -> KeepAliveServer:
    """Listen on host:port (0: a free port); run with ``serve_forever()`` on a thread."""
    return KeepAliveServer(host, port, app)
