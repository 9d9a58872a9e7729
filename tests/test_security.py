"""Security probes with raw HTTP against the launched app (loopback only), and the launch defaults.

The socket guard (conftest) fails any connection that is not to loopback, so a URL probe can never reach
the metadata service even if the app tried; the probes only assert that the app refuses.
"""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import urlparse

import gradio as gr
import httpx
import pytest

import app
import config
from tabs._common import GENERIC_FAILURE
from tests.support.bad_inputs import discover
from tests.support.wire import HIDDEN_ERROR, dumps

SECRET_MARKERS = ("root:", "AWS_", "PATH=", "import ")  # /etc/passwd, an environment, source code
FILE_PROBES = [
    "/etc/passwd", "//etc/passwd", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "..%2f..%2f..%2fetc%2fpasswd",
    "/proc/self/environ", "file:///etc/passwd", "app.py", "config.py", "../app.py", "~/.aws/credentials",
]
URL_PROBES = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",  # EC2/SageMaker instance metadata
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",  # ECS task credentials
    "http://127.0.0.1:{port}/config", "http://localhost:{port}/config", "http://[::1]:{port}/config",
    "http://0.0.0.0:{port}/config",
]


@pytest.fixture(scope="module")
def http(app_url):
    with httpx.Client(base_url=app_url.rstrip("/"), timeout=30) as client:
        yield client


@pytest.mark.parametrize("path", FILE_PROBES)
def test_file_route_serves_no_file_outside_the_app(http, path):
    for prefix in ("/gradio_api/file=", "/file="):
        response = http.get(prefix + path)
        assert response.status_code in (403, 404), (prefix + path, response.status_code)
        assert not any(marker in response.text for marker in SECRET_MARKERS)


@pytest.mark.parametrize("url", URL_PROBES)
def test_file_route_fetches_no_internal_url(http, app_url, url):
    url = url.format(port=urlparse(app_url).port)
    response = http.get("/gradio_api/file=" + url)
    assert response.status_code == 403, (url, response.status_code, response.text[:200])
    assert "version" not in response.text  # the app's own /config did not come back through the proxy


def test_direct_rest_route_is_refused_for_every_endpoint(http, client):
    for api_name in discover(client):
        for route in (f"/gradio_api/api{api_name}", f"/gradio_api/run{api_name}"):
            response = http.post(route, json={"data": ["Hello."]})
            assert response.status_code in (403, 404, 405), (route, response.status_code)
            assert "data" not in response.json() or "detail" in response.json()


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://huggingface.co.evil.example"])
def test_a_foreign_origin_gets_no_cors_grant(http, origin):
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    responses = [http.get("/config", headers={"Origin": origin}),
                 http.options("/gradio_api/queue/join", headers=preflight),
                 http.get("/gradio_api/info", headers={"Origin": origin})]
    for response in responses:
        granted = response.headers.get("access-control-allow-origin")
        assert granted not in (origin, "*"), (response.request.url, granted)


def test_the_app_itself_is_granted_its_own_origin(http, app_url):
    origin = app_url.rstrip("/")
    assert http.get("/config", headers={"Origin": origin}).headers.get("access-control-allow-origin") == origin


def test_launch_defaults_as_served(http):
    served = http.get("/config").json()
    assert served["show_error"] is False  # tracebacks stay in the log; users see our gr.Error messages
    assert served["analytics_enabled"] is False
    assert served["enable_queue"] is True
    assert served["max_file_size"] == 5 * 1024 * 1024
    assert served["run_history"] is False and served["mcp_server"] is False
    assert http.get("/monitoring").status_code in (403, 404)
    assert http.get("/gradio_api/runs").status_code == 404
    assert http.get("/gradio_api/mcp/sse").status_code == 404


def test_uploads_over_the_cap_are_refused(http):
    response = http.post("/gradio_api/upload", files={"files": ("big.csv", b"x" * (5 * 1024 * 1024 + 1))})
    assert response.status_code == 413


def test_launch_passes_the_security_defaults(settings, monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kwargs: seen.update(kwargs))
    app.launch(gr.Blocks(), settings)
    assert seen["share"] is False and seen["auth"] is None
    assert seen["show_error"] is False and seen["enable_monitoring"] is False
    assert seen["allowed_paths"] == [] and seen["max_file_size"] == 5 * 1024 * 1024  # 5 MB, in bytes
    assert seen["run_history"] is False and seen["mcp_server"] is False and seen["strict_cors"] is True
    assert capsys.readouterr().out == ""  # nothing secret to print without --share


def test_share_without_auth_gets_a_random_password_printed_once(settings, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kwargs: seen.append(kwargs["auth"]))
    sharing = config.Settings(**{**settings.__dict__, "share": True})
    app.launch(gr.Blocks(), sharing)
    app.launch(gr.Blocks(), sharing)
    (user, first), (_, second) = seen
    printed = capsys.readouterr().out
    assert user == "playground" and len(first) >= 16 and first != second
    assert printed.count(first) == 1 and printed.count(second) == 1


def test_auth_comes_from_the_environment_and_stays_out_of_repr():
    settings = config.load_settings([], {"PLAYGROUND_AUTH": "alice:s3cret-Pass"})
    assert settings.auth == "alice:s3cret-Pass" and "s3cret" not in repr(settings)
    with pytest.raises(SystemExit) as refused:
        config.load_settings([], {"PLAYGROUND_AUTH": "no-colon-s3cret"})
    assert "s3cret" not in str(refused.value)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_app_with_auth_refuses_callers_without_a_login(settings):
    protected = config.Settings(**{**settings.__dict__, "port": _free_port(), "auth": "alice:s3cret-Pass"})
    with gr.Blocks() as demo:
        box = gr.Textbox()
        box.submit(lambda text: text, box, box, api_name="echo")
    demo.queue(api_open=False)
    _, url, _ = app.launch(demo, protected, prevent_thread_lock=True, quiet=True)
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=30) as http:
            assert http.get("/config").status_code == 401
            join = http.post("/gradio_api/queue/join", json={"data": ["hi"], "fn_index": 0, "session_hash": "x"})
            assert join.status_code == 401
            assert http.post("/login", data={"username": "alice", "password": "wrong"}).status_code == 400
            assert http.post("/login", data={"username": "alice", "password": "s3cret-Pass"}).status_code == 200
            assert http.get("/config").status_code == 200
    finally:
        demo.close()


def test_every_public_endpoint_is_named_and_queued(http):
    """An auto-named endpoint (lambda_3, render_2) is one nobody meant to publish; an unqueued one skips the
    queue's size and concurrency limits."""
    served = http.get("/config").json()
    public = [d for d in served["dependencies"] if d.get("api_visibility") == "public" and d.get("api_name")]
    assert public
    accidental = [d["api_name"] for d in public
                  if re.fullmatch(r"(lambda|unnamed|render|load_example|fn)(_\d+)?", d["api_name"])]
    assert not accidental, f"public endpoints without an explicit api_name: {accidental}"
    assert not [d["api_name"] for d in public if d.get("queue") is False]


JUNK = {"lists": lambda: ["x" * 40] * 3, "huge integers": lambda: 10**4000, "nulls": lambda: None}


@pytest.mark.parametrize("junk", JUNK)
def test_every_event_in_the_config_answers_junk_with_a_clear_error_or_a_bounded_result(raw, junk):
    """Whatever its api_visibility, each event with a server function is reachable by its fn_index: none may
    answer the generic failure, a hidden error ("error": null) or a message longer than a paragraph."""
    events = [d for d in raw.get_json("/config")["dependencies"] if d.get("backend_fn")]
    assert len(events) > 100
    unclear = []
    for event in events:
        body = {"data": [JUNK[junk]() for _ in event["inputs"]], "event_data": None, "fn_index": event["id"],
                "trigger_id": None, "session_hash": "junk-session"}
        response = raw._request("POST", f"{raw.api}/queue/join", dumps(body))
        text = response.read().decode()
        if response.status != 200:  # refused at the door: a 4xx that says why
            if not (400 <= response.status < 500 and "detail" in text):
                unclear.append((event["id"], event.get("api_name"), response.status, text[:200]))
            continue
        outcome = raw._follow("junk-session", time.perf_counter(), 120)
        error = outcome.get("error") or ""
        if not outcome["ok"] and (error in (HIDDEN_ERROR, GENERIC_FAILURE) or len(error) > 1000
                                  or error.startswith("no answer within")):
            unclear.append((event["id"], event.get("api_name"), error[:200]))
    assert not unclear


def test_call_by_name_reaches_public_endpoints_only(http):
    served = http.get("/config").json()["dependencies"]
    hidden = [d["api_name"] for d in served if d.get("api_name") and d.get("api_visibility") != "public"]
    assert hidden
    for name in [*hidden, "no_such_endpoint"]:
        response = http.post(f"/gradio_api/call/{name}", json={"data": []})
        assert response.status_code == 404, (name, response.status_code)
        assert response.json()["detail"].startswith(f"No endpoint /{name}. The endpoints")
    assert http.post("/gradio_api/call/tokenize", json={"data": ["Hello."]}).status_code == 200


@pytest.mark.parametrize("request_body, status, message", [
    ({"data": [], "fn_index": 99_999, "session_hash": "abc"}, 404, "There is no event 99999 in this app"),
    ({"data": [], "fn_index": "1", "session_hash": "abc"}, 400, "fn_index takes the number of an event"),
    ({"data": ["Hello."], "fn_index": 1, "session_hash": "  "}, 400, "session_hash is empty"),
])
def test_a_join_gradio_cannot_route_gets_a_4xx_that_says_what_to_send(http, request_body, status, message):
    response = http.post("/gradio_api/queue/join", json=request_body)
    assert response.status_code == status and response.json()["detail"].startswith(message)


def test_an_upload_part_without_a_file_name_is_a_400(http):
    response = http.post("/gradio_api/upload", files={"files": ("", b"text,label\n")})
    assert response.status_code == 400 and "must be a file with a name" in response.json()["detail"]


def test_one_upload_request_carries_at_most_one_files_cap_in_all(http):
    files = [("files", (f"part{i}.csv", b"x" * (2 * 1024 * 1024))) for i in range(3)]  # each under 5 MB
    response = http.post("/gradio_api/upload", files=files)
    assert response.status_code == 413 and "at most 5 MB in all" in response.json()["detail"]
