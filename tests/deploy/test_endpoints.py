"""Endpoints for the launcher: plans (Hugging Face container, JumpStart), deployed, listed and deleted on moto."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from deploy import endpoints, jumpstart
from deploy.errors import UsageError

pytest_plugins = ["tests.support.aws"]

ROLE_ARN = "arn:aws:iam::123456789012:role/playground-endpoint"


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
    with pytest.raises(UsageError, match="not made by this app"):
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
    with pytest.raises(UsageError, match=message):
        jumpstart.plan("llm", "meta-llm", LLM_DOCUMENT, "2.1.0", ROLE_ARN, instance_type, accept_eula=accept)
