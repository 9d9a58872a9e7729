"""SageMaker endpoints: called like a pipeline through a stubbed runtime; deployed, listed, deleted on moto."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import Stubber

import config
import state
from models import jumpstart
from models import sagemaker_endpoints as endpoints
from models.errors import InputError, ModelUnavailable

pytest_plugins = ["aws_fixtures"]

ROLE_ARN = "arn:aws:iam::123456789012:role/playground-endpoint"
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
        endpoint = endpoints.SageMakerEndpoint("sst2", client=client)
        assert endpoint("I love it", top_k=None) == SCORES
        stub.assert_no_pending_responses()
    assert endpoint.name == "sagemaker:sst2"


def test_serves_the_sentiment_tab_in_place_of_a_local_model(monkeypatch, settings):
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
        endpoint = endpoints.SageMakerEndpoint("sst2", client=client, sleep=sleeps)
        assert endpoint("hi") == SCORES
    assert sleeps == [0.5, 1.0]


def test_throttling_gives_up_after_bounded_tries():
    client, sleeps = runtime_client(), Sleeps()
    with Stubber(client) as stub:
        for _ in range(4):
            stub.add_client_error("invoke_endpoint", "ThrottlingException", "slow down", 400)
        stub.add_response("invoke_endpoint", json_body(SCORES))  # never reached
        with pytest.raises(ModelUnavailable, match="busy or not ready .* after 4 tries"):
            endpoints.SageMakerEndpoint("sst2", client=client, sleep=sleeps)("hi")
    assert sleeps == [0.5, 1.0, 2.0]


def test_missing_endpoint_says_how_to_deploy_it():
    client, sleeps = runtime_client(), Sleeps()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ValidationError",
                              "Endpoint nope of account 123456789012 not found.", 400)
        with pytest.raises(ModelUnavailable, match="does not exist in us-east-1.*endpoint-deploy --name nope"):
            endpoints.SageMakerEndpoint("nope", client=client, sleep=sleeps)("hi")
    assert sleeps == []  # not retried


def test_model_error_carries_the_container_message():
    client = runtime_client()
    with Stubber(client) as stub:
        stub.add_client_error("invoke_endpoint", "ModelError", "Received client error (400)", 424,
                              modeled_fields={"OriginalStatusCode": 400,
                                              "OriginalMessage": "The following `model_kwargs` are not used: foo"})
        with pytest.raises(ModelUnavailable, match=r"failed \(status 400\): The following `model_kwargs`"):
            endpoints.SageMakerEndpoint("sst2", client=client)("hi", foo=1)


def test_timeout_and_bad_answers_are_clear():
    class Slow:
        meta = type("Meta", (), {"region_name": "us-east-1"})

        def invoke_endpoint(self, **_):
            raise ReadTimeoutError(endpoint_url="https://runtime.sagemaker.us-east-1.amazonaws.com")

    with pytest.raises(ModelUnavailable, match="did not answer within 5 s"):
        endpoints.SageMakerEndpoint("sst2", client=Slow(), timeout=5)("hi")
    client = runtime_client()
    with Stubber(client) as stub:
        html = {"Body": StreamingBody(io.BytesIO(b"<html>"), 6), "ContentType": "text/html"}
        stub.add_response("invoke_endpoint", html)
        with pytest.raises(ModelUnavailable, match="not JSON"):
            endpoints.SageMakerEndpoint("sst2", client=client)("hi")


def test_no_credentials_or_region_says_what_to_configure(no_aws, monkeypatch):
    with pytest.raises(ModelUnavailable, match="No AWS region set"):
        endpoints.SageMakerEndpoint("sst2")("hi")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(ModelUnavailable, match="No AWS credentials found"):
        endpoints.SageMakerEndpoint("sst2")("hi")


def test_names_are_checked():
    with pytest.raises(InputError, match="not a valid SageMaker name"):
        endpoints.SageMakerEndpoint("bad name!")


def test_image_follows_region_and_hardware():
    assert endpoints.hf_image_uri("us-east-1", "ml.m5.xlarge") == (
        "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-inference:"
        "2.6.0-transformers4.51.3-cpu-py312-ubuntu22.04")
    assert endpoints.hf_image_uri("cn-north-1", "ml.g5.xlarge") == (
        "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/huggingface-pytorch-inference:"
        "2.6.0-transformers4.51.3-gpu-py312-cu124-ubuntu22.04")


def test_deploy_list_delete_on_moto(moto):
    sm = boto3.client("sagemaker")
    plan = endpoints.huggingface_plan("gpt2", "generate", "openai-community/gpt2", ROLE_ARN, "us-east-1",
                                      revision="main", owner="me")
    done = endpoints.deploy(sm, plan)
    assert done[-1] == "endpoint gpt2 is InService"
    container = sm.describe_model(ModelName="gpt2")["PrimaryContainer"]
    assert container["Environment"] == {"HF_MODEL_ID": "openai-community/gpt2", "HF_TASK": "text-generation",
                                        "HF_MODEL_REVISION": "main"}
    config_ = sm.describe_endpoint_config(EndpointConfigName="gpt2")
    assert config_["ProductionVariants"][0]["InstanceType"] == "ml.m5.xlarge"

    assert endpoints.deploy(sm, plan) == ["endpoint gpt2 already exists (InService); nothing created"]
    (row,) = endpoints.list_endpoints(sm)
    assert row["name"] == "gpt2" and row["ours"] and row["instance_type"] == "ml.m5.xlarge"

    assert endpoints.delete(sm, "gpt2") == ["deleted endpoint gpt2 (billing stops once it is gone)",
                                            "deleted endpoint config gpt2", "deleted model gpt2"]
    assert endpoints.delete(sm, "gpt2") == []
    assert sm.list_models()["Models"] == []


def test_a_half_made_deployment_is_completed_not_duplicated(moto):
    sm = boto3.client("sagemaker")
    plan = endpoints.huggingface_plan("ner", "ner", "dslim/bert-base-NER", ROLE_ARN, "us-east-1")
    sm.create_model(ModelName="ner", ExecutionRoleArn=ROLE_ARN, PrimaryContainer=plan.container, Tags=plan.tag_list)
    done = endpoints.deploy(sm, plan, wait=False)
    assert done[0].startswith("reused the existing model ner") and "created endpoint ner" in done
    assert len(sm.list_models()["Models"]) == 1


def test_delete_leaves_endpoints_of_others_alone(moto):
    sm = boto3.client("sagemaker")
    plan = endpoints.huggingface_plan("theirs", "sentiment", "x/y", ROLE_ARN, "us-east-1")
    sm.create_model(ModelName="theirs", ExecutionRoleArn=ROLE_ARN, PrimaryContainer=plan.container)
    sm.create_endpoint_config(EndpointConfigName="theirs", ProductionVariants=[
        {"VariantName": "AllTraffic", "ModelName": "theirs", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName="theirs", EndpointConfigName="theirs")
    with pytest.raises(InputError, match="not made by this app"):
        endpoints.delete(sm, "theirs")
    assert sm.describe_endpoint(EndpointName="theirs")["EndpointStatus"] == "InService"
    assert endpoints.delete(sm, "theirs", force=True)[0].startswith("deleted endpoint theirs")


# ---- JumpStart ----------------------------------------------------------------------------------

LLM_DOCUMENT = {
    "HostingEcrUri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:cpu",
    "HostingArtifactUri": "s3://jumpstart-private-cache-prod-us-east-1/meta/llm/artifacts/",
    "HostingArtifactS3DataType": "S3Prefix", "HostingArtifactCompressionType": "None",
    "HostingEulaUri": "s3://jumpstart-cache-prod-us-east-1/fmhMetadata/eula/license.txt",
    "DefaultInferenceInstanceType": "ml.g5.12xlarge",
    "SupportedInferenceInstanceTypes": ["ml.g5.2xlarge", "ml.g5.12xlarge"],
    "HostingInstanceTypeVariants": {"Variants": {"ml.g5": {"Properties": {
        "ImageUri": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:gpu",
        "EnvironmentVariables": {"SM_NUM_GPUS": 1}}}}},
    "InferenceEnvironmentVariables": [{"Name": "MAX_INPUT_LENGTH", "Default": 4095, "Scope": "container"},
                                      {"Name": "ENDPOINT_SERVER_TIMEOUT", "Default": 3600, "Scope": "algorithm"}],
}


def test_jumpstart_describe_reads_the_public_hub():
    client = boto3.client("sagemaker", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("describe_hub_content", {
            "HubContentName": jumpstart.DEFAULT_MODEL_ID, "HubContentArn": "arn:aws:sagemaker:us-east-1:aws:x",
            "HubContentVersion": "3.0.6", "HubContentType": "Model", "DocumentSchemaVersion": "2.3.0",
            "HubName": "SageMakerPublicHub", "HubArn": "arn:aws:sagemaker:us-east-1:aws:hub/SageMakerPublicHub",
            "HubContentDocument": json.dumps(LLM_DOCUMENT), "HubContentStatus": "Available",
            "CreationTime": "2026-01-01T00:00:00Z"},
            {"HubName": "SageMakerPublicHub", "HubContentType": "Model", "HubContentName": jumpstart.DEFAULT_MODEL_ID})
        assert jumpstart.describe(client, jumpstart.DEFAULT_MODEL_ID) == (LLM_DOCUMENT, "3.0.6")


def test_jumpstart_plan_uses_the_instance_variant_and_the_accepted_licence():
    plan = jumpstart.plan("llm", "meta-llm", LLM_DOCUMENT, "2.1.0", ROLE_ARN, "ml.g5.2xlarge", accept_eula=True)
    assert plan.container == {
        "Image": "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:gpu",
        "ModelDataSource": {"S3DataSource": {
            "S3Uri": LLM_DOCUMENT["HostingArtifactUri"], "S3DataType": "S3Prefix", "CompressionType": "None",
            "ModelAccessConfig": {"AcceptEula": True}}},
        "Environment": {"MAX_INPUT_LENGTH": "4095", "SM_NUM_GPUS": "1"},
    }


@pytest.mark.parametrize("instance_type, accept, message", [
    ("ml.g5.2xlarge", False, "has a licence to accept .* pass --accept-eula"),
    (None, True, "would run on 'ml.g5.12xlarge'.*not in this project's endpoint allowlist"),
    ("ml.m5.xlarge", True, "does not run on 'ml.m5.xlarge'"),
])
def test_jumpstart_plan_refuses(instance_type, accept, message):
    with pytest.raises(InputError, match=message):
        jumpstart.plan("llm", "meta-llm", LLM_DOCUMENT, "2.1.0", ROLE_ARN, instance_type, accept_eula=accept)
