"""A local Hugging Face Hub: a stdlib HTTP server on loopback that the real huggingface_hub and transformers talk to.

Point a process at it with HF_ENDPOINT=hub.url (huggingface_hub reads it at import). It serves repos built in
memory (`Repo`: a main branch of commits, and pull requests as refs/pr/N), answers the requests the clients make
(../shared/NOTES.md, "A local Hub for tests") with the headers they rely on, logs every request so a test can
count them, and can go down (refuse connections, or accept and stall) to test what a client does then.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

# What the Hub stores with Git LFS (its default .gitattributes): weights and other large binaries. LFS files are
# served with ETag = sha256 and X-Linked-Size, plain git files with ETag = their git blob sha1.
LFS_PATTERN = re.compile(r"\.(safetensors|bin|h5|ot|msgpack|onnx|tflite|mlmodel|tar\.gz)$")
LFS_POINTER_SIZE = 134  # bytes of an LFS pointer file, which the listings report
_EPOCH = datetime(2020, 4, 28, tzinfo=UTC)  # commit dates are made up, one day apart, in order
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Blob:
    """One file's content, kept on disk, with the hashes the Hub reports for it."""

    path: Path
    size: int
    git_sha1: str  # the git blob id: sha1(b"blob <size>\0" + content)
    sha256: str
    lfs: bool

    @classmethod
    def of(cls, path: Path, name: str) -> Blob:
        """A blob for the file at `path`, stored in repos under the name `name`."""
        data = path.read_bytes()
        git = hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()
        return cls(path, len(data), git, hashlib.sha256(data).hexdigest(), bool(LFS_PATTERN.search(name)))

    @property
    def etag(self) -> str:
        return self.sha256 if self.lfs else self.git_sha1


@dataclass(frozen=True)
class Commit:
    """A commit: its id, its message and author, its parent, and the whole tree (path -> blob) it leaves."""

    sha: str
    title: str
    author: str
    date: datetime
    parent: Commit | None
    tree: dict[str, Blob] = field(hash=False, compare=False)

    def history(self) -> list[Commit]:
        """This commit and its ancestors, newest first (as the commits API lists them)."""
        found, commit = [], self
        while commit is not None:
            found.append(commit)
            commit = commit.parent
        return found


@dataclass
class PullRequest:
    """An open pull request: refs/pr/<num> points at `commit`, whose parent is the main commit it was opened on."""

    num: int
    title: str
    author: str
    commit: Commit
    status: str = "open"

    @property
    def ref(self) -> str:
        return f"refs/pr/{self.num}"


class Repo:
    """A model repo: main's commits, and pull requests. Built with `commit` and `open_pull`."""

    def __init__(self, repo_id: str) -> None:
        self.repo_id = repo_id
        self.head: Commit | None = None
        self.pulls: list[PullRequest] = []
        self._count = 0

    def _new_commit(self, title: str, author: str, parent: Commit | None, changes: dict[str, Blob]) -> Commit:
        tree = {**(parent.tree if parent else {}), **changes}
        listing = "".join(f"{path}\0{blob.git_sha1}\n" for path, blob in sorted(tree.items()))
        seed = f"{self.repo_id}\n{parent.sha if parent else ''}\n{title}\n{listing}"
        self._count += 1
        return Commit(hashlib.sha1(seed.encode()).hexdigest(), title, author,
                      _EPOCH + timedelta(days=self._count), parent, tree)

    def commit(self, title: str, changes: dict[str, Blob], author: str = "system") -> Commit:
        """Add a commit on main with these files added or replaced; it becomes main's head."""
        self.head = self._new_commit(title, author, self.head, changes)
        return self.head

    def open_pull(self, num: int, title: str, changes: dict[str, Blob], author: str,
                  parent: Commit | None = None) -> PullRequest:
        """Open pull request `num` adding `changes` on top of `parent` (main's head by default)."""
        pull = PullRequest(num, title, author, self._new_commit(title, author, parent or self.head, changes))
        self.pulls.append(pull)
        return pull

    def resolve(self, revision: str) -> Commit | None:
        """The commit a revision names: main, refs/pr/N, or a full commit id of main or of a pull request."""
        if revision == "main":
            return self.head
        for pull in self.pulls:
            if revision == pull.ref:
                return pull.commit
        heads = [self.head, *(pull.commit for pull in self.pulls)]
        return next((c for head in heads for c in head.history() if c.sha == revision), None)


@dataclass(frozen=True)
class Request:
    """One request the hub answered, for tests to count."""

    method: str
    route: str  # info | tree | commits | discussions | resolve | telemetry | unknown
    repo: str = ""
    revision: str = ""
    path: str = ""
    status: int = 200


class HubError(Exception):
    """An error answer, with the X-Error-Code huggingface_hub turns into its own exception."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LocalHub:
    """The server. Use as a context manager (or start/close); `url` is what HF_ENDPOINT should be."""

    def __init__(self, repos: list[Repo] | None = None) -> None:
        self.repos: dict[str, Repo] = {repo.repo_id: repo for repo in repos or []}
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._serving = threading.Event()  # cleared while the hub stalls requests
        self._serving.set()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    # ---- running -------------------------------------------------------------------------------

    def start(self) -> LocalHub:
        handler = type("Handler", (_Handler,), {"hub": self})
        self._server = _Server(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, name="local-hub", daemon=True).start()
        return self

    def close(self) -> None:
        self._serving.set()  # let stalled requests finish
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def down(self, how: str = "refuse") -> None:
        """Go down: "refuse" closes the port (connection refused); "stall" accepts and answers nothing until `up`."""
        if how == "refuse":
            self.close()
        elif how == "stall":
            self._serving.clear()
        else:
            raise ValueError(f"how must be 'refuse' or 'stall', not {how!r}")

    def up(self) -> None:
        """Serve again, on the same port."""
        if self._server is None:
            self.start()
        self._serving.set()

    # ---- what was asked ------------------------------------------------------------------------

    def requests(self, route: str | None = None, method: str | None = None, repo: str | None = None) -> list[Request]:
        """The requests answered so far, oldest first, optionally only one route / method / repo."""
        with self._lock:
            return [r for r in self._log if (route is None or r.route == route)
                    and (method is None or r.method == method) and (repo is None or r.repo == repo)]

    def counts(self) -> Counter[tuple[str, str]]:
        """How many requests each (method, route) got so far, e.g. counts()["GET", "resolve"]."""
        return Counter((r.method, r.route) for r in self.requests())

    def downloads(self, repo: str | None = None) -> list[str]:
        """The files whose content was sent (GET on resolve that succeeded), as "repo/path"."""
        return [f"{r.repo}/{r.path}" for r in self.requests("resolve", "GET", repo) if r.status in (200, 206)]

    def clear(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self._log.clear()

    def _record(self, request: Request) -> None:
        with self._lock:
            self._log.append(request)

    def _wait_until_serving(self) -> None:
        self._serving.wait()

    # ---- answers -------------------------------------------------------------------------------

    def repo(self, repo_id: str) -> Repo:
        if repo_id not in self.repos:
            raise HubError(401, "RepoNotFound", "Repository not found")
        return self.repos[repo_id]

    def commit(self, repo_id: str, revision: str) -> Commit:
        commit = self.repo(repo_id).resolve(revision)
        if commit is None:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return commit

    def info(self, repo_id: str, revision: str, blobs: bool) -> dict:
        """GET /api/models/{repo}[/revision/{rev}]: the repo's id, the commit, and its files (siblings)."""
        commit = self.commit(repo_id, revision)
        siblings = []
        for path, blob in sorted(commit.tree.items()):
            sibling: dict = {"rfilename": path}
            if blobs:
                sibling.update(size=blob.size, blobId=blob.git_sha1)
                if blob.lfs:
                    sibling["lfs"] = {"sha256": blob.sha256, "size": blob.size, "pointerSize": LFS_POINTER_SIZE}
            siblings.append(sibling)
        return {
            "_id": hashlib.sha1(repo_id.encode()).hexdigest()[:24], "id": repo_id, "modelId": repo_id,
            "author": repo_id.split("/")[0], "sha": commit.sha, "lastModified": _iso(commit.date),
            "createdAt": _iso(_EPOCH), "private": False, "disabled": False, "gated": False,
            "library_name": "transformers", "tags": ["transformers"], "siblings": siblings,
        }

    def tree(self, repo_id: str, revision: str, folder: str, recursive: bool) -> list[dict]:
        """GET /api/models/{repo}/tree/{rev}[/{path}]: files (and folders) under `folder`."""
        commit = self.commit(repo_id, revision)
        prefix = f"{folder.strip('/')}/" if folder.strip("/") else ""
        paths = [p for p in sorted(commit.tree) if p.startswith(prefix)]
        if prefix and not paths:
            raise HubError(404, "EntryNotFound", f"{folder} does not exist on {revision}")
        entries, folders = [], set()
        for path in paths:
            rest = path[len(prefix):].split("/")
            for depth in range(1, len(rest)):  # the folders on the way to this file
                sub = prefix + "/".join(rest[:depth])
                if sub not in folders and (recursive or depth == 1):
                    folders.add(sub)
                    entries.append({"type": "directory", "oid": hashlib.sha1(sub.encode()).hexdigest(),
                                    "size": 0, "path": sub})
            if recursive or len(rest) == 1:
                blob = commit.tree[path]
                entry = {"type": "file", "oid": blob.git_sha1, "size": blob.size, "path": path}
                if blob.lfs:
                    entry["lfs"] = {"oid": blob.sha256, "size": blob.size, "pointerSize": LFS_POINTER_SIZE}
                entries.append(entry)
        return entries

    def commits(self, repo_id: str, revision: str) -> list[dict]:
        """GET /api/models/{repo}/commits/{rev}: the history, newest first."""
        return [{"id": c.sha, "title": c.title, "message": "", "authors": [{"user": c.author, "avatar": ""}],
                 "date": _iso(c.date)} for c in self.commit(repo_id, revision).history()]

    def discussions(self, repo_id: str, query: dict[str, list[str]]) -> dict:
        """GET /api/models/{repo}/discussions?p=0: the pull requests, newest first (all on page 0)."""
        kind, status = query.get("type", ["all"])[0], query.get("status", ["all"])[0]
        author = query.get("author", [None])[0]
        found = [
            {"num": p.num, "title": p.title, "status": p.status, "isPullRequest": True,
             "createdAt": _iso(p.commit.date), "author": {"name": p.author}, "numComments": 1, "pinned": False,
             "repo": {"name": repo_id, "type": "model"}}
            for p in sorted(self.repo(repo_id).pulls, key=lambda p: -p.num)
            if kind in ("all", "pull_request") and status in ("all", p.status) and author in (None, p.author)
        ]
        return {"discussions": found, "count": len(found), "start": 0, "numClosedDiscussions": 0}

    def file(self, repo_id: str, revision: str, path: str) -> tuple[Commit, Blob]:
        """HEAD/GET /{repo}/resolve/{rev}/{path}: the file at that revision."""
        commit = self.commit(repo_id, revision)
        if path not in commit.tree:
            raise HubError(404, "EntryNotFound", f"{path} does not exist on {revision}")
        return commit, commit.tree[path]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that went away (it timed out on a stalled hub) is not an error of the hub's."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Routes one request; `hub` is set on the subclass LocalHub.start makes."""

    hub: LocalHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        pass  # the hub's own log (LocalHub.requests) is what tests read

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        self.hub._wait_until_serving()
        url = urlsplit(self.path)
        # Revisions arrive URL-encoded as one segment (refs%2Fpr%2F18): split first, then decode each segment.
        parts = [unquote(part) for part in url.path.split("/")[1:]]
        query = parse_qs(url.query)
        route, repo, revision, path = _route(parts)
        status = 200
        try:
            status = self._answer(method, route, repo, revision, path, query)
        except HubError as error:
            status = error.status
            self._send_json({"error": error.message}, error.status,
                            {"X-Error-Code": error.code, "X-Error-Message": error.message}, method)
        finally:
            self.hub._record(Request(method, route, repo, revision, path, status))

    def _answer(self, method: str, route: str, repo: str, revision: str, path: str,
                query: dict[str, list[str]]) -> int:
        hub = self.hub
        if route == "telemetry":
            return self._send_json({"standardEnvVars": [], "harnesses": {}}, 200, {}, method)
        if route == "info":
            return self._send_json(hub.info(repo, revision, _flag(query, "blobs")), 200, {}, method)
        if route == "tree":
            return self._send_json(hub.tree(repo, revision, path, _flag(query, "recursive")), 200, {}, method)
        if route == "commits":
            return self._send_json(hub.commits(repo, revision), 200, {}, method)
        if route == "discussions":
            return self._send_json(hub.discussions(repo, query), 200, {}, method)
        if route == "resolve":
            return self._send_file(method, *hub.file(repo, revision, path))
        raise HubError(404, "NotFound", f"no route for {self.path}")

    def _send_json(self, payload: object, status: int, headers: dict[str, str], method: str) -> int:
        body = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "GET":
            self.wfile.write(body)
        return status

    def _send_file(self, method: str, commit: Commit, blob: Blob) -> int:
        start, end, status = 0, blob.size - 1, 200
        asked = _RANGE.match(self.headers.get("Range", "").strip())
        if asked and (asked.group(1) or asked.group(2)):
            if asked.group(1):
                start = int(asked.group(1))
                end = min(int(asked.group(2)), blob.size - 1) if asked.group(2) else blob.size - 1
            else:  # bytes=-N: the last N bytes
                start = max(blob.size - int(asked.group(2)), 0)
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("X-Repo-Commit", commit.sha)
        self.send_header("ETag", f'"{blob.etag}"')
        if blob.lfs:
            self.send_header("X-Linked-Etag", f'"{blob.sha256}"')
            self.send_header("X-Linked-Size", str(blob.size))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{blob.size}")
        self.send_header("Content-Length", str(max(end - start + 1, 0)))
        self.end_headers()
        if method == "GET":
            for chunk in _read(blob.path, start, end + 1):
                self.wfile.write(chunk)
        return status


def _route(parts: list[str]) -> tuple[str, str, str, str]:
    """(route, repo id, revision, path in repo) of a decoded request path."""
    if parts[:2] == ["api", "agent-harnesses"]:
        return "telemetry", "", "", ""
    if parts[:2] == ["api", "models"] and len(parts) >= 4:
        repo, rest = f"{parts[2]}/{parts[3]}", parts[4:]
        if not rest:
            return "info", repo, "main", ""
        if rest[0] == "revision" and len(rest) == 2:
            return "info", repo, rest[1], ""
        if rest[0] == "tree" and len(rest) >= 2:
            return "tree", repo, rest[1], "/".join(rest[2:])
        if rest[0] == "commits" and len(rest) == 2:
            return "commits", repo, rest[1], ""
        if rest == ["discussions"]:
            return "discussions", repo, "", ""
    if len(parts) >= 5 and parts[2] == "resolve":
        return "resolve", f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:])
    return "unknown", "", "", "/".join(parts)


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[0].lower() in ("1", "true")


def _read(path: Path, start: int, stop: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        left = stop - start
        while left > 0:
            chunk = handle.read(min(_CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
