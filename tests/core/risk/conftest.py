"""A local fake of the data sources' HTTP APIs, on a random port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class FakeSource:
    """What the fake answers: set ``mode`` and ``body`` in the test."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.body: dict[str, Any] = {}
        self.delay = 0.0
        self.hits = 0
        self.url = ""


def _handler(source: FakeSource) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            source.hits += 1
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if source.mode == "slow":
                time.sleep(source.delay)
            if source.mode == "error":
                self._send(503, b'{"error": "down"}')
            elif source.mode == "not_json":
                self._send(200, b"<html>maintenance</html>")
            else:
                self._send(200, json.dumps(source.body).encode())

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_source() -> Iterator[FakeSource]:
    source = FakeSource()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(source))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    source.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield source
    server.shutdown()
    server.server_close()
