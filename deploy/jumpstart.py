"""SageMaker JumpStart: read a model's public-hub document and turn it into an endpoint plan (boto3 only)."""

from __future__ import annotations

import json
from typing import Any

from deploy import instances
from deploy.endpoints import EndpointPlan
from deploy.errors import UsageError
from deploy.resources import check_name

PUBLIC_HUB = "SageMakerPublicHub"
DEFAULT_MODEL_ID = "huggingface-textgeneration-gpt2"  # GPT-2 from JumpStart's catalogue; runs on CPU


def describe(sm: Any, model_id: str, version: str | None = None) -> tuple[dict, str]:
    """The model's hub document (image, artifacts, environment, instance types) and its version."""
    request = {"HubName": PUBLIC_HUB, "HubContentType": "Model", "HubContentName": model_id}
    if version:
        request["HubContentVersion"] = version
    response = sm.describe_hub_content(**request)
    return json.loads(response["HubContentDocument"]), response["HubContentVersion"]


def plan(name: str, model_id: str, document: dict, version: str, role_arn: str,
         instance_type: str | None = None, image_uri: str | None = None, accept_eula: bool = False,
         owner: str = "") -> EndpointPlan:
    """An endpoint plan from the hub document, as the SageMaker SDK builds it for hub models."""
    chosen = _instance_type(model_id, document, instance_type)
    container = {
        "Image": image_uri or _image_uri(model_id, document, chosen),
        "ModelDataSource": _model_data(model_id, document, accept_eula),
        "Environment": _environment(document, chosen),
    }
    return EndpointPlan(check_name(name), role_arn, chosen, container,
                        (("owner", owner), ("task", "generate"), ("jumpstart-model", model_id),
                         ("jumpstart-version", version)),
                        network_isolation=bool(document.get("InferenceEnableNetworkIsolation")),
                        summary=f"JumpStart {model_id} {version}")


def _instance_type(model_id: str, document: dict, requested: str | None) -> str:
    chosen = requested or document.get("DefaultInferenceInstanceType") or ""
    supported = document.get("SupportedInferenceInstanceTypes") or []
    if supported and chosen not in supported:
        raise UsageError(f"JumpStart model {model_id} does not run on {chosen!r}; it supports "
                         f"{', '.join(supported)}.")
    try:
        return instances.endpoint_type(chosen).name
    except UsageError as exc:
        raise UsageError(f"JumpStart model {model_id} would run on {chosen!r}. {exc} Pass --instance-type "
                         "with a supported one, or pick a smaller model.") from None


def _variant_properties(document: dict, instance_type: str) -> dict:
    """Per-instance overrides (image, environment) by exact type, then by family such as "ml.g5"."""
    variants = (document.get("HostingInstanceTypeVariants") or {}).get("Variants") or {}
    family = ".".join(instance_type.split(".")[:2])
    for key in (instance_type, family):
        properties = (variants.get(key) or {}).get("Properties")
        if properties:
            return properties
    return {}


def _image_uri(model_id: str, document: dict, instance_type: str) -> str:
    image = _variant_properties(document, instance_type).get("ImageUri") or document.get("HostingEcrUri")
    if not image:
        raise UsageError(f"JumpStart's document for {model_id} names no container image for {instance_type}; "
                         "pass --image-uri.")
    return image


def _model_data(model_id: str, document: dict, accept_eula: bool) -> dict:
    uri = document.get("HostingArtifactUri")
    if not uri:
        raise UsageError(f"JumpStart's document for {model_id} has no model artifact; it cannot be deployed here.")
    prefix = document.get("HostingArtifactS3DataType") == "S3Prefix" or uri.endswith("/")
    source = {"S3Uri": uri, "S3DataType": "S3Prefix" if prefix else "S3Object",
              "CompressionType": document.get("HostingArtifactCompressionType") or ("None" if prefix else "Gzip")}
    if document.get("HostingEulaUri"):
        if not accept_eula:
            raise UsageError(f"JumpStart model {model_id} has a licence to accept ({document['HostingEulaUri']}): "
                             "read it, then pass --accept-eula.")
        source["ModelAccessConfig"] = {"AcceptEula": True}
    return {"S3DataSource": source}


def _environment(document: dict, instance_type: str) -> dict[str, str]:
    environment = {
        variable["Name"]: str(variable["Default"])
        for variable in document.get("InferenceEnvironmentVariables") or []
        if variable.get("Scope", "container") == "container" and "Default" in variable
    }
    overrides = _variant_properties(document, instance_type).get("EnvironmentVariables") or {}
    environment.update({key: str(value) for key, value in overrides.items()})
    if document.get("HostingUseScriptUri") and document.get("HostingScriptUri"):
        environment["SAGEMAKER_SUBMIT_DIRECTORY"] = document["HostingScriptUri"]
    return environment
