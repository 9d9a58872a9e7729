"""A stand-in for the Hugging Face Hub's file route on 127.0.0.1: it serves the files it is given, answers 404
(EntryNotFound) for any other, counts what it was asked, and can go down and come back on the same port."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote


class StubHub:
    """`files`: repo id -> {file name: content}, the same at every revision."""

    def __init__(self, files: dict[str, dict[str, bytes]], port: int = 0) -> None:
        self.files, self.port = files, port
        self.requests: list[str] = []  # "HEAD /repo/resolve/rev/file", in order
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StubHub:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: connections to its port are refused from now on."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                hub.requests.append(f"{self.command} {self.path}")
                # /{org}/{name}/resolve/{revision}/{file}; a revision such as refs/pr/18 arrives as refs%2Fpr%2F18
                parts = self.path.split("?")[0].split("/")
                content = None
                if len(parts) == 6 and parts[3] == "resolve":
                    content = hub.files.get(f"{parts[1]}/{parts[2]}", {}).get(unquote(parts[5]))
                if content is None:
                    self.send_response(404)
                    self.send_header("X-Error-Code", "EntryNotFound")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("X-Repo-Commit", "0" * 40)  # what huggingface_hub needs to trust an answer
                self.send_header("ETag", f'"{hashlib.sha1(content).hexdigest()}"')
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if body:
                    self.wfile.write(content)

            def log_message(self, *args) -> None:  # quiet: the requests are in hub.requests
                pass

        return Handler
