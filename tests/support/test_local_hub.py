"""The local Hub speaks the Hub's HTTP API: headers, ranges, error codes, listings, logs; and it can go down.

These talk raw HTTP (urllib): the test session runs huggingface_hub offline. The real clients against this server
are tested in tests/models/test_hub_profile.py.
"""

from __future__ import annotations

import hashlib
import json
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.local_hub import Blob, LocalHub, Repo

WEIGHTS = bytes(range(256)) * 4  # 1,024 bytes


def _blob(folder: Path, name: str, data: bytes) -> Blob:
    path = folder / name.replace("/", "_")
    path.write_bytes(data)
    return Blob.of(path, name)


@pytest.fixture
def repo(tmp_path) -> Repo:
    """org/model: three main commits; PR 3 opened on the second, PR 5 on the head; a weights file in both."""
    repo = Repo("org/model")
    repo.commit("initial commit", {".gitattributes": _blob(tmp_path, ".gitattributes", b"*.bin filter=lfs\n")})
    repo.commit("Upload model", {"config.json": _blob(tmp_path, "config.json", b'{"model_type": "bert"}'),
                                 "onnx/model.onnx": _blob(tmp_path, "onnx/model.onnx", b"onnx"),
                                 "pytorch_model.bin": _blob(tmp_path, "pytorch_model.bin", WEIGHTS)})
    older = repo.head
    repo.commit("Update README.md", {"README.md": _blob(tmp_path, "README.md", b"# model\n")})
    safetensors = {"model.safetensors": _blob(tmp_path, "model.safetensors", WEIGHTS[::-1])}
    repo.open_pull(3, "Adding `safetensors` variant of this model", safetensors, "SFconvertbot", parent=older)
    repo.open_pull(5, "Adding `safetensors` variant of this model", safetensors, "someone")
    return repo


@pytest.fixture
def hub(repo):
    with LocalHub([repo]) as running:
        yield running


def fetch(hub: LocalHub, path: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) of one request; error statuses are answers too."""
    request = urllib.request.Request(hub.url + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_small_file_has_its_git_blob_id_as_etag(hub, repo):
    status, headers, body = fetch(hub, "/org/model/resolve/main/config.json", "HEAD")
    git_sha1 = hashlib.sha1(b'blob 22\0{"model_type": "bert"}').hexdigest()
    assert (status, body) == (200, b"")
    assert headers["ETag"] == f'"{git_sha1}"' and headers["X-Repo-Commit"] == repo.head.sha
    assert headers["Content-Length"] == "22" and "X-Linked-Size" not in headers


def test_a_weights_file_is_served_as_lfs_with_its_sha256(hub, repo):
    status, headers, body = fetch(hub, "/org/model/resolve/refs%2Fpr%2F5/model.safetensors")
    sha256 = hashlib.sha256(WEIGHTS[::-1]).hexdigest()
    assert (status, body) == (200, WEIGHTS[::-1])
    assert headers["ETag"] == headers["X-Linked-Etag"] == f'"{sha256}"' and headers["X-Linked-Size"] == "1024"
    assert headers["X-Repo-Commit"] == repo.resolve("refs/pr/5").sha


@pytest.mark.parametrize(("asked", "first", "last"), [("bytes=10-19", 10, 19), ("bytes=1000-", 1000, 1023),
                                                      ("bytes=-4", 1020, 1023)])
def test_ranges_are_partial_content(hub, asked, first, last):
    status, headers, body = fetch(hub, "/org/model/resolve/main/pytorch_model.bin", headers={"Range": asked})
    assert (status, body) == (206, WEIGHTS[first:last + 1])
    assert headers["Content-Range"] == f"bytes {first}-{last}/1024"


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/org/model/resolve/main/model.safetensors", 404, "EntryNotFound"),  # only in the PRs
    ("/org/model/resolve/refs%2Fpr%2F9/config.json", 404, "RevisionNotFound"),
    ("/org/other/resolve/main/config.json", 401, "RepoNotFound"),
    ("/api/models/org/model/tree/main/additional_chat_templates", 404, "EntryNotFound"),
    ("/api/models/org/model/revision/v9", 404, "RevisionNotFound"),
])
def test_errors_carry_the_codes_huggingface_hub_reads(hub, path, status, code):
    got, headers, _ = fetch(hub, path)
    assert (got, headers["X-Error-Code"]) == (status, code)


def test_model_info_names_the_commit_and_its_files(hub, repo):
    _, _, body = fetch(hub, "/api/models/org/model/revision/refs%2Fpr%2F3?blobs=true")
    info = json.loads(body)
    assert (info["id"], info["sha"]) == ("org/model", repo.resolve("refs/pr/3").sha)
    files = {s["rfilename"]: s for s in info["siblings"]}
    assert "README.md" not in files  # PR 3 was opened before the README commit
    assert files["model.safetensors"]["lfs"]["size"] == 1024 and "lfs" not in files["config.json"]
    plain = json.loads(fetch(hub, "/api/models/org/model")[2])
    assert plain["sha"] == repo.head.sha and plain["siblings"][0] == {"rfilename": ".gitattributes"}


def test_tree_lists_folders_and_files_recursively_or_not(hub):
    top = json.loads(fetch(hub, "/api/models/org/model/tree/main")[2])
    assert [(e["type"], e["path"]) for e in top] == [
        ("file", ".gitattributes"), ("file", "README.md"), ("file", "config.json"), ("directory", "onnx"),
        ("file", "pytorch_model.bin")]
    deep = json.loads(fetch(hub, "/api/models/org/model/tree/main?recursive=True")[2])
    assert ("file", "onnx/model.onnx") in [(e["type"], e["path"]) for e in deep]
    inside = json.loads(fetch(hub, "/api/models/org/model/tree/main/onnx")[2])
    assert [e["path"] for e in inside] == ["onnx/model.onnx"]


def test_commits_and_discussions_show_which_main_each_pull_request_was_opened_on(hub, repo):
    commits = [c["id"] for c in json.loads(fetch(hub, "/api/models/org/model/commits/refs%2Fpr%2F3")[2])]
    main = [c["id"] for c in json.loads(fetch(hub, "/api/models/org/model/commits/main")[2])]
    assert len(main) == 3 and commits[1:] == main[1:]  # PR 3's parent is the commit before main's head
    listing = json.loads(fetch(hub, "/api/models/org/model/discussions?p=0")[2])
    assert [(d["num"], d["author"]["name"], d["isPullRequest"]) for d in listing["discussions"]] == [
        (5, "someone", True), (3, "SFconvertbot", True)]
    by_bot = json.loads(fetch(hub, "/api/models/org/model/discussions?p=0&author=SFconvertbot")[2])
    assert by_bot["count"] == 1


def test_every_request_is_logged_by_route(hub):
    fetch(hub, "/api/models/org/model")
    fetch(hub, "/org/model/resolve/main/config.json", "HEAD")
    fetch(hub, "/org/model/resolve/main/config.json")
    fetch(hub, "/org/model/resolve/main/nope.json")
    assert [(r.method, r.route, r.status) for r in hub.requests()] == [
        ("GET", "info", 200), ("HEAD", "resolve", 200), ("GET", "resolve", 200), ("GET", "resolve", 404)]
    assert hub.downloads() == ["org/model/config.json"]
    assert hub.counts() == {("GET", "info"): 1, ("HEAD", "resolve"): 1, ("GET", "resolve"): 2}
    hub.clear()
    assert hub.requests() == []


def test_down_refuses_or_stalls_and_up_serves_on_the_same_port(hub):
    port = hub.port
    hub.down("refuse")
    with pytest.raises(urllib.error.URLError) as refused:
        fetch(hub, "/api/models/org/model")
    assert isinstance(refused.value.reason, ConnectionRefusedError)
    hub.up()
    assert hub.port == port and fetch(hub, "/api/models/org/model")[0] == 200
    hub.down("stall")
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(hub.url + "/api/models/org/model", timeout=0.5)
    hub.up()
    assert fetch(hub, "/api/models/org/model")[0] == 200
