"""SageMaker real-time endpoints for the launcher: plan a deployment, deploy it, list and delete endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy import instances
from deploy.errors import DeployError, UsageError
from deploy.resources import APP_TAG, check_name, describe_or_none, is_ours
from models.registry import REGISTRY, REVISIONS

DEFAULT_INSTANCE_TYPE = "ml.m5.xlarge"

# The app's task keys -> HF_TASK, the pipeline the Hugging Face inference toolkit builds in the container: from
# the registry's entries (models.registry is plain data: the launcher still needs neither torch nor gradio).
HF_TASKS = {key: task.hf_task for key, task in REGISTRY.items() if task.hf_task}

# The Hugging Face inference container (AWS Deep Learning Container). transformers 4.51.3 still has
# every pipeline above (transformers 5 dropped QA, summarization and translation pipelines). Tags
# and registry accounts as in the SageMaker Python SDK's image_uri_config/huggingface.json.
HF_IMAGE_REPOSITORY = "huggingface-pytorch-inference"
HF_IMAGE_TAGS = {
    "cpu": "2.6.0-transformers4.51.3-cpu-py312-ubuntu22.04",
    "gpu": "2.6.0-transformers4.51.3-gpu-py312-cu124-ubuntu22.04",
}
DLC_ACCOUNT = "763104351884"
DLC_ACCOUNT_BY_REGION = {
    "af-south-1": "626614931356", "ap-east-1": "871362719292", "ap-northeast-3": "364406365360",
    "ap-south-2": "772153158452", "ap-southeast-3": "907027046896", "ap-southeast-4": "457447274322",
    "ca-west-1": "204538143572", "cn-north-1": "727897471807", "cn-northwest-1": "727897471807",
    "eu-central-2": "380420809688", "eu-south-1": "692866216735", "eu-south-2": "503227376785",
    "il-central-1": "780543022126", "me-central-1": "914824155844", "me-south-1": "217643126080",
    "us-gov-east-1": "446045086412", "us-gov-west-1": "442386744353",
}


@dataclass(frozen=True)
class EndpointPlan:
    """Everything create_model, create_endpoint_config and create_endpoint need, decided up front."""

    name: str
    role_arn: str
    instance_type: str
    container: dict
    tags: tuple[tuple[str, str], ...]
    network_isolation: bool = False
    summary: str = ""  # what is served, for the operator: "openai-community/gpt2 (text-generation)"

    @property
    def tag_list(self) -> list[dict]:
        return [APP_TAG] + [{"Key": key, "Value": value} for key, value in self.tags if value]


def hf_image_uri(region: str, instance_type: str) -> str:
    """The Hugging Face inference container for this region, GPU build on GPU instance families."""
    device = "gpu" if instances.endpoint_type(instance_type).gpu else "cpu"
    account = DLC_ACCOUNT_BY_REGION.get(region, DLC_ACCOUNT)
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/{HF_IMAGE_REPOSITORY}:{HF_IMAGE_TAGS[device]}"


def huggingface_plan(name: str, task: str, model_id: str, role_arn: str, region: str,
                     instance_type: str = DEFAULT_INSTANCE_TYPE, image_uri: str | None = None,
                     revision: str | None = None, owner: str = "") -> EndpointPlan:
    """A Hub checkpoint served by the Hugging Face inference container (it downloads the model at start)."""
    if task not in HF_TASKS:
        raise UsageError(f"Task {task!r} cannot be deployed; use one of {', '.join(HF_TASKS)}.")
    if not model_id.strip():
        raise UsageError("Give the Hub model id to deploy (e.g. --model-id openai-community/gpt2).")
    environment = {"HF_MODEL_ID": model_id, "HF_TASK": HF_TASKS[task]}
    revision = revision or REVISIONS.get(model_id)  # the app's pin, where the registry has one
    if revision:
        environment["HF_MODEL_REVISION"] = revision
    instances.endpoint_type(instance_type)  # refuses types outside the allowlist
    container = {"Image": image_uri or hf_image_uri(region, instance_type), "Environment": environment}
    return EndpointPlan(check_name(name), role_arn, instance_type, container,
                        (("owner", owner), ("task", task), ("model", model_id)),
                        summary=f"{model_id} ({HF_TASKS[task]})")


def deploy(sm: Any, plan: EndpointPlan, wait: bool = True) -> list[str]:
    """Create the model, endpoint config and endpoint that are missing (reusing the others); say what was done."""
    endpoint = describe_or_none(sm.describe_endpoint, EndpointName=plan.name)
    if endpoint is not None:
        return _existing_endpoint(sm, endpoint, wait)
    done = []
    if describe_or_none(sm.describe_model, ModelName=plan.name) is None:
        sm.create_model(ModelName=plan.name, ExecutionRoleArn=plan.role_arn, PrimaryContainer=plan.container,
                        EnableNetworkIsolation=plan.network_isolation, Tags=plan.tag_list)
        done.append(f"created model {plan.name}: {plan.summary}")
    else:
        done.append(f"reused the existing model {plan.name} (delete the endpoint to change what it serves)")
    if describe_or_none(sm.describe_endpoint_config, EndpointConfigName=plan.name) is None:
        sm.create_endpoint_config(EndpointConfigName=plan.name, Tags=plan.tag_list, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": plan.name,
            "InitialInstanceCount": 1, "InstanceType": plan.instance_type}])
        done.append(f"created endpoint config {plan.name} ({plan.instance_type})")
    else:
        done.append(f"reused the existing endpoint config {plan.name}")
    sm.create_endpoint(EndpointName=plan.name, EndpointConfigName=plan.name, Tags=plan.tag_list)
    done.append(f"created endpoint {plan.name}")
    if wait:
        _wait(sm, "endpoint_in_service", plan.name)
        done.append(f"endpoint {plan.name} is InService")
    return done


def _existing_endpoint(sm: Any, endpoint: dict, wait: bool) -> list[str]:
    name, status = endpoint["EndpointName"], endpoint["EndpointStatus"]
    if status == "Failed":
        raise DeployError(f"Endpoint {name} exists but failed: {endpoint.get('FailureReason', 'no reason')}. "
                          f"Delete it (endpoint-delete --name {name}) and deploy again.")
    if status == "Deleting":
        raise DeployError(f"Endpoint {name} is being deleted; wait a minute and deploy again.")
    done = [f"endpoint {name} already exists ({status}); nothing created"]
    if wait and status != "InService":
        _wait(sm, "endpoint_in_service", name)
        done.append(f"endpoint {name} is InService")
    return done


def _wait(sm: Any, waiter: str, name: str) -> None:
    # Endpoints take 5-15 minutes to start: poll every 30 s for up to an hour.
    sm.get_waiter(waiter).wait(EndpointName=name, WaiterConfig={"Delay": 30, "MaxAttempts": 120})


def list_endpoints(sm: Any) -> list[dict]:
    """Every endpoint in the region: name, status, instance type and count, cost, and whether this app made it."""
    rows = []
    for page in sm.get_paginator("list_endpoints").paginate():
        for summary in page["Endpoints"]:
            rows.append(_endpoint_row(sm, summary))
    return rows


def _endpoint_row(sm: Any, summary: dict) -> dict:
    name = summary["EndpointName"]
    endpoint = describe_or_none(sm.describe_endpoint, EndpointName=name) or {}
    config = describe_or_none(sm.describe_endpoint_config,
                              EndpointConfigName=endpoint.get("EndpointConfigName", name)) or {}
    variants = config.get("ProductionVariants") or [{}]
    instance_type = variants[0].get("InstanceType", "serverless")
    count = sum(v.get("InitialInstanceCount", 0) for v in variants) or 1
    return {"name": name, "status": summary["EndpointStatus"], "instance_type": instance_type, "instances": count,
            "cost": instances.endpoint_cost(instance_type, count), "ours": is_ours(sm, summary["EndpointArn"])}


def delete(sm: Any, name: str, force: bool = False) -> list[str]:
    """Delete the endpoint, its config and its models; what is already gone is skipped. Says what was done."""
    check_name(name)
    endpoint = describe_or_none(sm.describe_endpoint, EndpointName=name)
    if endpoint is not None and not force and not is_ours(sm, endpoint["EndpointArn"]):
        raise UsageError(f"Endpoint {name} was not made by this app (no app=transformers-playground tag); "
                         "delete it in the console, or pass --force if you are sure.")
    done = []
    config_name = endpoint["EndpointConfigName"] if endpoint else name
    if endpoint is not None:
        sm.delete_endpoint(EndpointName=name)
        done.append(f"deleted endpoint {name} (billing stops once it is gone)")
    config = describe_or_none(sm.describe_endpoint_config, EndpointConfigName=config_name)
    models = [v["ModelName"] for v in config.get("ProductionVariants", [])] if config else [name]
    if config is not None:
        sm.delete_endpoint_config(EndpointConfigName=config_name)
        done.append(f"deleted endpoint config {config_name}")
    for model in models:
        if describe_or_none(sm.describe_model, ModelName=model) is not None:
            sm.delete_model(ModelName=model)
            done.append(f"deleted model {model}")
    return done
