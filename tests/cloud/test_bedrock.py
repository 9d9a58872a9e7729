"""Bedrock: model lists and images through botocore's Stubber, Converse streams through a fake client."""

from __future__ import annotations

import base64
import io
import json
import socket

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from cloud import bedrock
from models.errors import InputError, ModelUnavailable

pytest_plugins = ["tests.support.aws"]

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-7-sonnet-20250219-v1:0"
TITAN_IMAGE = "amazon.titan-image-generator-v2:0"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FakeRuntime:
    """converse_stream as botocore returns it: {"stream": events}; errors raised as botocore raises them."""

    def __init__(self, *outcomes) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[dict] = []

    def converse_stream(self, **request):
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return {"stream": iter(outcome)}


def error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "ConverseStream")


def answer(*pieces: str) -> list[dict]:
    return [{"messageStart": {"role": "assistant"}},
            *({"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": 0}} for piece in pieces),
            {"contentBlockStop": {"contentBlockIndex": 0}},
            {"messageStop": {"stopReason": "end_turn"}},
            {"metadata": {"usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
                          "metrics": {"latencyMs": 420}}}]


def chat(runtime, messages=None, **settings):
    messages = messages or [{"role": "user", "content": "Say hello"}]
    return list(bedrock.stream_chat(HAIKU, messages, client=runtime, sleep=Sleeps(), **settings))


# ---- chat ---------------------------------------------------------------------------------------

def test_stream_chat_yields_text_then_usage():
    runtime = FakeRuntime(answer("Hel", "lo", "!"))
    pieces = chat(runtime, system="Be brief.", max_tokens=64, temperature=0.2, stop_sequences=["\n\nHuman:"])
    assert pieces[:3] == ["Hel", "lo", "!"]
    assert pieces[3] == {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15, "latency_ms": 420,
                         "stop_reason": "end_turn"}
    (request,) = runtime.requests
    assert request == {
        "modelId": HAIKU,
        "messages": [{"role": "user", "content": [{"text": "Say hello"}]}],
        "system": [{"text": "Be brief."}],
        "inferenceConfig": {"maxTokens": 64, "temperature": 0.2, "stopSequences": ["\n\nHuman:"]},
    }


def test_gradio_history_becomes_alternating_turns():
    history = [
        {"role": "assistant", "content": "Hi! Ask me anything."},  # a greeting before the user spoke
        {"role": "user", "content": [{"type": "text", "text": "What is attention?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "A weighted average."}]},
        {"role": "user", "content": "Of what?"},
        {"role": "user", "content": [{"type": "text", "text": "  "}]},
        {"role": "user", "content": "Explain."},
    ]
    assert bedrock.converse_messages(history) == [
        {"role": "user", "content": [{"text": "What is attention?"}]},
        {"role": "assistant", "content": [{"text": "A weighted average."}]},
        {"role": "user", "content": [{"text": "Of what?\n\nExplain."}]},
    ]


def test_top_p_is_sent_only_when_set():
    runtime = FakeRuntime(answer("a"), answer("b"))
    chat(runtime, top_p=1.0)
    chat(runtime, top_p=0.9)
    assert "topP" not in runtime.requests[0]["inferenceConfig"]
    assert runtime.requests[1]["inferenceConfig"]["topP"] == 0.9


@pytest.mark.parametrize("settings, message", [
    ({"model_id": ""}, "Pick a Bedrock model"),
    ({"messages": [{"role": "user", "content": "  "}]}, "Type a message"),
    ({"max_tokens": 0}, "Max tokens must be between 1 and 4096"),
    ({"temperature": 1.5}, "Temperature must be between 0 and 1"),
    ({"stop_sequences": ["a", "b", "c", "d", "e"]}, "at most 4 stop sequences"),
    ({"messages": [{"role": "user", "content": "x" * 20_001}]}, "the limit is 20,000"),
    ({"messages": [{"role": "user", "content": "hi\x00"}]}, "The message contains NUL"),
    ({"messages": [{"role": "user", "content": "hi \ud800"}]}, "lone surrogates"),
    ({"stop_sequences": ["END\x00"]}, "A stop sequence contains NUL"),
    ({"model_id": "../../etc"}, "is not a Bedrock model id"),
    ({"model_id": "someone/not-a-model"}, "is not a Bedrock model id"),
])
def test_bad_input_is_refused_before_any_call(settings, message):
    runtime = FakeRuntime()
    arguments = {"model_id": HAIKU, "messages": [{"role": "user", "content": "hi"}], **settings}
    with pytest.raises(InputError, match=message):
        list(bedrock.stream_chat(client=runtime, **arguments))
    assert runtime.requests == []


@pytest.mark.parametrize("model_id", [
    "anthropic.claude-3-haiku-20240307-v1:0", "us.amazon.nova-lite-v1:0", "meta.llama3-8b-instruct-v1:0",
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0",
    "arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-text-express-v1",
])
def test_real_model_ids_and_arns_are_accepted(model_id):
    assert bedrock.chat_request(model_id, [{"role": "user", "content": "hi"}])["modelId"] == model_id


def test_throttling_is_retried_then_served():
    runtime, sleeps = FakeRuntime(error("ThrottlingException"), error("ThrottlingException"), answer("ok")), Sleeps()
    pieces = list(bedrock.stream_chat(HAIKU, [{"role": "user", "content": "hi"}], client=runtime, sleep=sleeps))
    assert pieces[0] == "ok"
    assert sleeps == [1.0, 2.0]


def test_throttling_gives_up_after_three_tries():
    runtime = FakeRuntime(*[error("ThrottlingException", "Too many requests")] * 3)
    with pytest.raises(ModelUnavailable, match=r"throttling or busy .*\(after 3 tries\).*Service Quotas"):
        chat(runtime)
    assert len(runtime.requests) == 3


@pytest.mark.parametrize("failure, kind, message", [
    (error("AccessDeniedException", "You don't have access to the model"), ModelUnavailable,
     "Model access not enabled for .* in the Bedrock console"),
    (error("ValidationException", "Input is too long for requested model."), InputError,
     "input is too long for .*clear the chat"),
    (error("ValidationException", "Invocation of model ID x with on-demand throughput isn't supported."),
     ModelUnavailable, "cannot be used this way"),
    (error("ResourceNotFoundException", "Model not found"), ModelUnavailable, "not offered in this region"),
    (ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com"), ModelUnavailable,
     "did not answer in time"),
])
def test_failures_say_what_to_do(failure, kind, message):
    with pytest.raises(kind, match=message):
        chat(FakeRuntime(failure))


def test_an_error_partway_through_the_stream():
    events = answer("Hel")[:2] + [{"throttlingException": {"message": "Too many tokens per minute"}}]
    with pytest.raises(ModelUnavailable, match="partway through the answer"):
        chat(FakeRuntime(events))


def test_without_credentials_the_chat_says_what_to_configure(no_aws):
    with pytest.raises(ModelUnavailable, match="No AWS credentials found.*No AWS region set"):
        list(bedrock.stream_chat(HAIKU, [{"role": "user", "content": "hi"}]))


# ---- credentials, checked locally ---------------------------------------------------------------

def test_credentials_problem_names_what_is_missing(no_aws, monkeypatch):
    problem = bedrock.credentials_problem()
    assert "No AWS credentials found" in problem and "aws configure" in problem and "AWS_ACCESS_KEY_ID" in problem
    assert "No AWS region set" in problem and "AWS_DEFAULT_REGION" in problem
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert "No AWS region set" not in bedrock.credentials_problem()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    assert "incomplete" in bedrock.credentials_problem()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert bedrock.credentials_problem() is None


def test_profiles_count_without_any_network_call(no_aws, monkeypatch):
    no_aws.write_text("[profile sso-dev]\nsso_session = corp\nsso_account_id = 123456789012\n"
                      "sso_role_name = Dev\nregion = eu-west-1\n"
                      "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
                      "[profile tool]\ncredential_process = /usr/local/bin/get-creds\nregion = us-west-2\n")
    connections = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, address: connections.append(address))
    for profile in ("sso-dev", "tool"):
        monkeypatch.setenv("AWS_PROFILE", profile)
        assert bedrock.credentials_problem() is None
    monkeypatch.setenv("AWS_PROFILE", "missing")
    assert "The AWS profile 'missing'" in bedrock.credentials_problem()
    assert connections == []


# ---- model lists (Stubber) ----------------------------------------------------------------------

def summary(model_id: str, name: str, inputs=("TEXT",), streaming=True, types=("ON_DEMAND",)) -> dict:
    return {"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model_id}", "modelId": model_id,
            "modelName": name, "providerName": model_id.split(".")[0].capitalize(),
            "inputModalities": list(inputs), "outputModalities": ["TEXT"], "responseStreamingSupported": streaming,
            "inferenceTypesSupported": list(types), "modelLifecycle": {"status": "ACTIVE"}}


def control_client():
    return boto3.client("bedrock", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_chat_models_are_the_streaming_text_ones():
    client = control_client()
    profile = {"inferenceProfileName": "US Claude 3.7 Sonnet", "inferenceProfileId": f"us.{SONNET}",
               "inferenceProfileArn": "arn:aws:bedrock:us-east-1:1:inference-profile/x", "status": "ACTIVE",
               "type": "SYSTEM_DEFINED",
               "models": [{"modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET}"}]}
    with Stubber(client) as stub:
        stub.add_response("list_foundation_models", {"modelSummaries": [
            summary(HAIKU, "Claude 3 Haiku"),
            summary(SONNET, "Claude 3.7 Sonnet", types=("INFERENCE_PROFILE",)),  # only through its profile
            summary("cohere.command-text-v14", "Command", streaming=False),
            summary("amazon.titan-embed-text-v2:0", "Titan Embeddings", streaming=False),
        ]}, {"byOutputModality": "TEXT"})
        stub.add_response("list_inference_profiles", {"inferenceProfileSummaries": [profile]},
                          {"typeEquals": "SYSTEM_DEFINED"})
        assert bedrock.list_chat_models(client) == [("Anthropic · Claude 3 Haiku", HAIKU),
                                                    ("US Claude 3.7 Sonnet (cross-region profile)", f"us.{SONNET}")]


def test_image_models_are_titan_and_nova_canvas():
    client = control_client()
    with Stubber(client) as stub:
        stub.add_response("list_foundation_models", {"modelSummaries": [
            summary(TITAN_IMAGE, "Titan Image Generator G1 v2", inputs=("TEXT", "IMAGE"), streaming=False),
            summary("amazon.nova-canvas-v1:0", "Nova Canvas", inputs=("TEXT", "IMAGE"), streaming=False),
            summary("stability.sd3-large-v1:0", "SD3 Large", streaming=False),  # another request format
        ]}, {"byOutputModality": "IMAGE"})
        assert [model_id for _, model_id in bedrock.list_image_models(client)] == [
            "amazon.nova-canvas-v1:0", TITAN_IMAGE]


def test_listing_without_permission_says_which():
    client = control_client()
    with Stubber(client) as stub:
        stub.add_client_error("list_foundation_models", "AccessDeniedException", "not authorized", 403)
        with pytest.raises(ModelUnavailable, match="bedrock:ListFoundationModels"):
            bedrock.list_image_models(client)


# ---- images (Stubber, a real PNG) ---------------------------------------------------------------

def png(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, format="PNG")
    return buffer.getvalue()


def runtime_client():
    return boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def image_answer(*images: bytes) -> dict:
    body = json.dumps({"images": [base64.b64encode(image).decode() for image in images], "error": None}).encode()
    return {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"}


def test_generate_images_returns_the_pngs():
    client, red, blue = runtime_client(), png("red"), png("blue")
    expected_body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a red fox"},
                     "imageGenerationConfig": {"numberOfImages": 2, "width": 768, "height": 1152, "seed": 42,
                                               "quality": "standard", "cfgScale": 8.0}}
    with Stubber(client) as stub:
        stub.add_response("invoke_model", image_answer(red, blue),
                          {"modelId": TITAN_IMAGE, "body": ANY, "contentType": "application/json",
                           "accept": "application/json"})
        images = bedrock.generate_images(TITAN_IMAGE, "a red fox", 768, 1152, seed=42, count=2, client=client)
    assert images == [red, blue]
    assert Image.open(io.BytesIO(images[0])).getpixel((0, 0)) == (255, 0, 0)
    assert bedrock.image_request(TITAN_IMAGE, "a red fox", 768, 1152, 42, 2) == expected_body


@pytest.mark.parametrize("arguments, message", [
    ({"width": 1000, "height": 1000}, "Size 1000x1000 is not offered"),
    ({"model_id": "stability.sd3-large-v1:0"}, "not an Amazon Titan Image Generator or Nova Canvas"),
    ({"seed": -1}, "seed must be between 0"),
    ({"count": 6}, "number of images must be between 1 and 5"),
    ({"prompt": "x" * 513}, "the limit is 512"),
])
def test_bad_image_requests_are_refused(arguments, message):
    request = {"model_id": TITAN_IMAGE, "prompt": "a fox", **arguments}
    with pytest.raises(InputError, match=message):
        bedrock.generate_images(client=runtime_client(), **request)


def test_image_content_filter_is_an_input_error():
    client = runtime_client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_model", "ValidationException",
                              "This request has been blocked by our content filters.", 400)
        with pytest.raises(InputError, match="content filters blocked this request; rephrase it"):
            bedrock.generate_images(TITAN_IMAGE, "something", client=client, sleep=Sleeps())
