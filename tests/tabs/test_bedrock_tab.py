"""The Bedrock tab: builds with no AWS call, says what to configure, streams chat and shows images."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import socket

import boto3
import gradio as gr
import pytest
from botocore.response import StreamingBody
from PIL import Image

from cloud import bedrock as backend
from tabs import _common
from tabs import bedrock as tab

pytest_plugins = ["tests.support.aws"]

MODEL = "amazon.nova-lite-v1:0"


class FakeRuntime:
    """A bedrock-runtime client that answers in three pieces and draws a green square."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    def converse_stream(self, **request):
        self.requests.append(request)
        deltas = [{"contentBlockDelta": {"delta": {"text": piece}}} for piece in ("Atten", "tion ", "is all.")]
        return {"stream": iter([*deltas, {"messageStop": {"stopReason": "end_turn"}},
                                {"metadata": {"usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13}}}])}

    def invoke_model(self, **request):
        self.requests.append(request)
        buffer = io.BytesIO()
        Image.new("RGB", (16, 16), "green").save(buffer, format="PNG")
        count = json.loads(request["body"])["imageGenerationConfig"]["numberOfImages"]
        body = json.dumps({"images": [base64.b64encode(buffer.getvalue()).decode()] * count}).encode()
        return {"body": StreamingBody(io.BytesIO(body), len(body))}


@pytest.fixture
def fake_runtime(monkeypatch) -> FakeRuntime:
    runtime = FakeRuntime()
    monkeypatch.setattr(backend, "_client", lambda service, timeout: runtime)
    return runtime


def build() -> gr.Blocks:
    with gr.Blocks() as demo:
        with gr.Tab(tab.TITLE):
            tab.build()
    return demo


def test_builds_without_calling_aws_and_names_every_endpoint(no_aws, monkeypatch):
    def no_clients(*args, **kwargs):
        raise AssertionError("no AWS client may be made while building the tab")

    monkeypatch.setattr(boto3.session.Session, "client", no_clients)
    monkeypatch.setattr(socket.socket, "connect", no_clients)
    demo = build()
    names = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert names == {"bedrock_status", "bedrock_chat", "bedrock_images", "bedrock_models"}


def test_without_credentials_the_tab_says_what_to_configure(no_aws):
    note = tab.status_note()
    assert note.startswith("⚠️ **Amazon Bedrock is not configured")
    assert "aws configure" in note and "AWS_DEFAULT_REGION" in note
    async def chat() -> list:  # guarded handlers are what gradio awaits on its event loop
        return [step async for step in _common.guarded(tab.chat)("hi", [], MODEL, "", 256, 0.5, 1.0, "")]

    with pytest.raises(gr.Error, match="No AWS credentials found"):
        asyncio.run(chat())
    with pytest.raises(gr.Error, match="No AWS credentials found"):
        asyncio.run(_common.guarded(tab.models)())


def test_chat_streams_into_the_conversation(fake_runtime):
    steps = list(tab.chat("What is attention?", [], MODEL, "Answer in one line.", 128, 0.3, 1.0, "END\n"))
    assert [history[-1]["content"] for history, _, _ in steps] == ["Atten", "Attention ", "Attention is all.",
                                                                   "Attention is all."]
    history, usage, message = steps[-1]
    assert history[0] == {"role": "user", "content": "What is attention?"}
    assert usage["total_tokens"] == 13 and message == ""
    (request,) = fake_runtime.requests
    assert request["system"] == [{"text": "Answer in one line."}]
    assert request["inferenceConfig"] == {"maxTokens": 128, "temperature": 0.3, "stopSequences": ["END"]}


def test_images_come_back_as_pictures(fake_runtime):
    pictures = tab.images("a green square", "amazon.titan-image-generator-v2:0", "768x1152", 7, 2)
    assert len(pictures) == 2 and pictures[0].getpixel((0, 0)) == (0, 128, 0)
    body = json.loads(fake_runtime.requests[0]["body"])
    assert body["imageGenerationConfig"]["width"] == 768 and body["imageGenerationConfig"]["seed"] == 7


def test_chat_streams_through_the_api(no_aws, fake_runtime):
    """A gradio_client user sees the answer grow, piece by piece, then the token usage."""
    from gradio_client import Client

    demo = build().queue()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, share=False, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        assert "not configured" in client.predict(api_name="/bedrock_status")
        job = client.submit("Hello", [], MODEL, "", 64, 0.5, 1.0, "", api_name="/bedrock_chat")
        history, usage, message = job.result(timeout=30)
        assert history[-1]["content"][0]["text"] == "Attention is all."
        assert usage["output_tokens"] == 4 and message == ""
        assert len(job.outputs()) >= 3  # streamed, not one final answer
    finally:
        demo.close()


def run_show_code(code: str, runtime: FakeRuntime, monkeypatch) -> object:
    """Runs a Show code snippet as a user would, its boto3 client answered by `runtime`: what it printed last."""
    printed = io.StringIO()
    with monkeypatch.context() as patched, contextlib.redirect_stdout(printed):
        patched.setattr(boto3, "client", lambda service, **kwargs: runtime if service == "bedrock-runtime" else None)
        exec(compile(code, "<show code>", "exec"), {"__name__": "__main__"})  # noqa: S102 (the app's own snippet)
    return json.loads(printed.getvalue().strip().splitlines()[-1])


def test_chat_show_code_sends_the_same_request_and_prints_the_answer_and_usage(fake_runtime, monkeypatch):
    args = ("What is attention?", [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
            MODEL, "Answer in one line.", 128, 0.3, 0.9, "END\n")
    history, usage, _ = list(tab.chat(*args))[-1]
    code = backend.chat_code(*args)
    # After the run the panel is refreshed with the history that holds the message and its answer.
    assert backend.chat_code("", history, *args[2:]) == code
    runtime = FakeRuntime()
    assert run_show_code(code, runtime, monkeypatch) == [history[-1]["content"], usage]
    assert runtime.requests == fake_runtime.requests


def test_images_show_code_sends_the_same_request_and_saves_the_pictures(fake_runtime, monkeypatch, tmp_path):
    args = ("a green square", "amazon.titan-image-generator-v2:0", "768x1152", 7, 2)
    pictures = tab.images(*args)
    monkeypatch.chdir(tmp_path)
    runtime = FakeRuntime()
    names = run_show_code(tab.images_code(*args), runtime, monkeypatch)
    assert names == ["image-0.png", "image-1.png"]
    assert [Image.open(tmp_path / name).tobytes() for name in names] == [picture.tobytes() for picture in pictures]
    assert [json.loads(r["body"]) for r in runtime.requests] == [json.loads(r["body"]) for r in fake_runtime.requests]
    assert runtime.requests[0]["modelId"] == fake_runtime.requests[0]["modelId"]
