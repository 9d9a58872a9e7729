"""The SageMaker runtime backend: called like a pipeline (stubbed runtime), and text generation in both request
formats, through the model layer, against moto's endpoints."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

import config
import state
from cloud import sagemaker
from models import remote
from models.errors import InputError, ModelUnavailable
from models.tasks import generate

pytest_plugins = ["tests.support.aws"]

SCORES = [{"label": "POSITIVE", "score": 0.98}, {"label": "NEGATIVE", "score": 0.02}]


def runtime_client():
    return boto3.client("sagemaker-runtime", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def json_body(value) -> dict:
    raw = json.dumps(value).encode()
    return {"Body": StreamingBody(io.BytesIO(raw), len(raw)), "ContentType": "application/json"}


def request(name: str, inputs, **parameters) -> dict:
    return {"EndpointName": name, "Body": json.dumps({"inputs": inputs, "parameters": parameters}),
            "ContentType": "application/json", "Accept": "application/json"}


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_called_like_a_pipeline():
    client = runtime_client()
    with Stubber(client) as stub:
        stub.add_response("invoke_endpoint", json_body(SCORES), request("sst2", "I love it", top_k=None))
        endpoint = sagemaker.Endpoint("sst2", client=client)
        assert endpoint("I love it", top_k=None) == SCORES
        stub.assert_no_pending_responses()
    assert endpoint.name == "sagemaker:sst2"


def test_serves_the_sentiment_tab_in_place_of_a_local_model(monkeypatch, settings, sagemaker_backend):
    """`--model sentiment=sagemaker:NAME`: the tab's task code calls the endpoint, with the same output."""
    client = runtime_client()
    monkeypatch.setattr(boto3.session.Session, "client", lambda *args, **kwargs: client)
    monkeypatch.setattr(state, "settings", config.load_settings(["--model", "sentiment=sagemaker:sst2-tab"]))
    from models.tasks import sentiment

    with Stubber(client) as stub:
        stub.add_response("invoke_endpoint", json_body(SCORES),
                          request("sst2-tab", "What a film!", top_k=None, truncation=True))
        assert sentiment.classify("What a film!", "sagemaker:sst2-tab") == {"POSITIVE": 0.98, "NEGATIVE": 0.02}
        stub.assert_no_pending_responses()


def test_throttling_is_retried_with_backoff():
    client, sleeps = runtime_client(), Sleeps()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ThrottlingException", "slow down", 400)
        stub.add_client_error("invoke_endpoint", "ModelNotReadyException", "warming up", 429)
        stub.add_response("invoke_endpoint", json_body(SCORES))
        endpoint = sagemaker.Endpoint("sst2", client=client, sleep=sleeps)
        assert endpoint("hi") == SCORES
    assert sleeps == [0.5, 1.0]


def test_throttling_gives_up_after_bounded_tries():
    client, sleeps = runtime_client(), Sleeps()
    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_client_error("invoke_endpoint", "ThrottlingException", "slow down", 400)
        stub.add_response("invoke_endpoint", json_body(SCORES))  # never reached
        with pytest.raises(ModelUnavailable, match="busy or not ready .* after 4 tries"):
            sagemaker.Endpoint("sst2", client=client, sleep=sleeps)("hi")
    assert sleeps == [0.5, 1.0, 2.0]


def test_missing_endpoint_says_how_to_deploy_it():
    client, sleeps = runtime_client(), Sleeps()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ValidationError",
                              "Endpoint nope of account 123456789012 not found.", 400)
        with pytest.raises(ModelUnavailable, match="does not exist in us-east-1.*endpoint-deploy --name nope"):
            sagemaker.Endpoint("nope", client=client, sleep=sleeps)("hi")
    assert sleeps == []  # not retried


def test_model_error_carries_the_container_message():
    client = runtime_client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ModelError", "Received client error (400)", 424,
                              modeled_fields={"OriginalStatusCode": 400,
                                              "OriginalMessage": "The following `model_kwargs` are not used: foo"})
        with pytest.raises(ModelUnavailable, match=r"failed \(status 400\): The following `model_kwargs`"):
            sagemaker.Endpoint("sst2", client=client)("hi", foo=1)


def test_timeout_and_bad_answers_are_clear():
    class Slow:
        meta = type("Meta", (), {"region_name": "us-east-1"})

        def invoke_endpoint(self, **_):
            raise ReadTimeoutError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com")

    with pytest.raises(ModelUnavailable, match="did not answer in time; the limit is 5 s"):
        sagemaker.Endpoint("sst2", client=Slow(), timeout=5)("hi")
    client = runtime_client()
    with Stubber(client) as stub:
        html = {"Body": StreamingBody(io.BytesIO(b"<html>"), 6), "ContentType": "text/html"}
        stub.add_response("invoke_endpoint", html)
        with pytest.raises(ModelUnavailable, match="not JSON"):
            sagemaker.Endpoint("sst2", client=client)("hi")


def test_no_credentials_or_region_says_what_to_configure(no_aws, monkeypatch):
    with pytest.raises(ModelUnavailable, match="No AWS region set"):
        sagemaker.Endpoint("sst2")("hi")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(ModelUnavailable, match="No AWS credentials found"):
        sagemaker.Endpoint("sst2")("hi")


def test_names_are_checked():
    with pytest.raises(InputError, match="not a valid SageMaker name"):
        sagemaker.Endpoint("bad name!")




# ---- text generation: the request format follows the endpoint's container ---------------------

PROMPT = "Once upon a time"  # 4 GPT-2 tokens: Once, " upon", " a", " time"
SAMPLING = generate.GenerationSettings(max_new_tokens=5, temperature=0.7, top_k=50, top_p=1.0, do_sample=True,
                                       seed=3)
JUMPSTART_GPT2 = {"jumpstart_model": "huggingface-textgeneration-gpt2", "app": "transformers-playground"}


@pytest.fixture
def endpoint_for(make_endpoint, sagemaker_backend, monkeypatch, settings):
    """`--model generate=sagemaker:NAME` in force for an endpoint made on moto with these tags; its choice."""
    def made(name: str, **tags: str) -> str:
        make_endpoint(name, **tags)
        monkeypatch.setattr(state, "settings", config.load_settings(["--model", f"generate=sagemaker:{name}"]))
        return f"sagemaker:{name}"

    return made


def test_a_huggingface_container_gets_inputs_and_parameters(endpoint_for, endpoint_answers, invocations):
    choice = endpoint_for("gpt2-hf", app="transformers-playground", task="generate")
    endpoint_answers([{"generated_text": PROMPT + " there was a cat"}])
    assert generate.generate(PROMPT, SAMPLING, choice) == [PROMPT + " there was a cat"]
    assert invocations == [{"inputs": PROMPT, "parameters": {
        "max_new_tokens": 5, "do_sample": True, "temperature": 0.7, "top_k": 50, "top_p": 1.0,
        "return_full_text": True}}]


def test_jumpstart_gets_text_inputs_with_the_prompt_counted_in_max_length(endpoint_for, endpoint_answers,
                                                                        invocations, offline_pack):
    choice = endpoint_for("gpt2-js", **JUMPSTART_GPT2)
    endpoint_answers({"generated_texts": [" there was a cat"]}, {"generated_text": PROMPT + " lived a king"})
    assert generate.generate(PROMPT, SAMPLING, choice) == [PROMPT + " there was a cat"]  # the prompt put back
    greedy = generate.GenerationSettings(max_new_tokens=3, do_sample=False, no_repeat_ngram_size=2)
    assert generate.generate(PROMPT, greedy, choice) == [PROMPT + " lived a king"]
    assert invocations == [
        {"text_inputs": PROMPT, "max_length": 4 + 5, "do_sample": True, "temperature": 0.7, "top_k": 50,
         "top_p": 1.0, "seed": 3},
        {"text_inputs": PROMPT, "max_length": 4 + 3, "do_sample": False, "no_repeat_ngram_size": 2},
    ]


@pytest.mark.parametrize("changes, message", [
    ({"repetition_penalty": 1.3}, "does not take repetition_penalty"),
    ({"num_return_sequences": 2}, "samples one sequence at a time"),
])
def test_settings_jumpstart_cannot_honour_are_refused_before_any_call(endpoint_for, invocations, changes,
                                                                       message):
    choice = endpoint_for("gpt2-refuses", **JUMPSTART_GPT2)
    settings = generate.GenerationSettings(**{**SAMPLING.__dict__, **changes})
    with pytest.raises(InputError, match=message):
        generate.generate(PROMPT, settings, choice)
    assert invocations == []


def test_token_probabilities_are_refused_for_an_endpoint(endpoint_for, invocations):
    choice = endpoint_for("gpt2-probabilities", app="transformers-playground")
    with pytest.raises(InputError, match="Token probabilities .* pick a local model"):
        next(generate.thinking(PROMPT, SAMPLING, choice))
    assert invocations == []


def test_compare_runs_each_strategy_on_the_endpoint(endpoint_for, endpoint_answers, invocations):
    choice = endpoint_for("gpt2-compare", app="transformers-playground")
    endpoint_answers(*([{"generated_text": f"{PROMPT} {word}"}] for word in ("greedy", "sampled", "beams")))
    assert list(generate.compare(PROMPT, SAMPLING, choice))[-1] == {
        "greedy": f"{PROMPT} greedy", "sampling": f"{PROMPT} sampled", "beam search": f"{PROMPT} beams"}
    assert [(body["parameters"]["do_sample"], body["parameters"].get("num_beams")) for body in invocations] == [
        (False, None), (True, None), (False, generate.COMPARE_BEAMS)]


def test_show_code_sends_the_same_request_and_prints_what_the_endpoint_answered(
        endpoint_for, endpoint_answers, invocations, offline_pack, tmp_path):
    choice = endpoint_for("gpt2-code", **JUMPSTART_GPT2)
    answer = {"generated_texts": [PROMPT + " the end"]}
    endpoint_answers(answer)
    generate.generate(PROMPT, SAMPLING, choice)
    code = generate.code(PROMPT, SAMPLING, choice)
    (tmp_path / "snippet.py").write_text(code)
    # moto answers a request it has seen with the same answer: the snippet must send exactly that request.
    printed = subprocess.run([sys.executable, str(tmp_path / "snippet.py")], capture_output=True, text=True,
                             check=True, timeout=60).stdout
    assert printed.strip() == str(answer)
    assert len(invocations) == 1


def test_a_missing_endpoint_says_how_to_deploy_it(moto, sagemaker_backend, settings):
    with pytest.raises(ModelUnavailable, match="'nowhere' does not exist .* endpoint-deploy --name nowhere"):
        sagemaker.Endpoint("nowhere").payload_format()


def test_reading_the_tags_needs_a_permission_the_message_names():
    control = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(control) as stub:
        stub.add_response("describe_endpoint", {
            "EndpointName": "gpt2", "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/gpt2",
            "EndpointConfigName": "gpt2", "EndpointStatus": "InService",
            "CreationTime": "2026-01-01T00:00:00Z", "LastModifiedTime": "2026-01-01T00:00:00Z"})
        stub.add_client_error("list_tags", "AccessDeniedException", "not allowed", 400)
        with pytest.raises(ModelUnavailable, match=r"sagemaker:ListTags on it \(assets/iam/sagemaker-invoke.json\)"):
            sagemaker.Endpoint("gpt2", control=control).payload_format()


def test_the_app_registers_the_sagemaker_backend(monkeypatch):
    import app

    monkeypatch.setattr(remote, "_backends", {})
    with pytest.raises(ModelUnavailable, match="No backend serves 'sagemaker:sst2'"):
        remote.connect("sagemaker:sst2")
    app.register_backends()
    endpoint = remote.connect("sagemaker:sst2")
    assert isinstance(endpoint, sagemaker.Endpoint) and endpoint.name == "sagemaker:sst2"


def test_the_model_layer_imports_no_aws_sdk():
    """models/ talks to remote models only through models.remote: no boto3 or botocore there."""
    root = Path(__file__).resolve().parents[2]
    offenders = [str(path.relative_to(root)) for path in (root / "models").rglob("*.py")
                 if "boto" in path.read_text()]
    assert offenders == []


@pytest.mark.parametrize("policy", ["sagemaker-invoke.json", "notebook-role.json"])
def test_the_shipped_policies_allow_every_call_the_backend_makes(endpoint_for, endpoint_answers, aws_actions,
                                                                 offline_pack, policy):
    choice = endpoint_for(f"gpt2-{policy.split('-')[0]}", **JUMPSTART_GPT2)
    aws_actions.clear()  # what making the endpoint called is not the app's
    endpoint_answers({"generated_text": PROMPT + " the end"})
    generate.generate(PROMPT, SAMPLING, choice)
    assert aws_actions == {"sagemaker:DescribeEndpoint", "sagemaker:ListTags", "sagemaker:InvokeEndpoint"}
    statements = json.loads((Path(__file__).resolve().parents[2] / "assets" / "iam" / policy).read_text())
    allowed = {action for statement in statements["Statement"]
               for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    assert aws_actions <= allowed


@pytest.mark.parametrize("answer", [[{"label": "POSITIVE", "score": 0.9}], "Once upon", {"summary_text": "x"}, []])
def test_an_answer_without_generated_text_is_named(endpoint_for, endpoint_answers, answer):
    choice = endpoint_for(f"not-gpt2-{len(str(answer))}", app="transformers-playground")
    endpoint_answers(answer)
    with pytest.raises(ModelUnavailable, match="answered without generated text .* is it a text-generation model"):
        generate.generate(PROMPT, SAMPLING, choice)
