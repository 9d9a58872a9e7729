"""SageMaker real-time endpoints: deploy a Hub checkpoint, list and delete them, call one like a pipeline."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from models import aws
from models.errors import InputError, ModelUnavailable

APP_TAG = {"Key": "app", "Value": "transformers-playground"}
NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")  # SageMaker's rule for endpoint names
PRICING_URL = "https://aws.amazon.com/sagemaker/ai/pricing/"

# Real-time inference instances this project deploys to, with on-demand USD per hour in us-east-1
# (other regions differ a little: see PRICING_URL). Larger types are left out on purpose: a typo
# should not start a $30/hour endpoint.
ENDPOINT_HOURLY_USD = {
    "ml.t2.medium": 0.056,
    "ml.c5.large": 0.102,
    "ml.m5.large": 0.115,
    "ml.c5.xlarge": 0.204,
    "ml.m5.xlarge": 0.23,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
}
DEFAULT_INSTANCE_TYPE = "ml.m5.xlarge"

# The app's task keys -> HF_TASK, the pipeline the Hugging Face inference toolkit builds in the container.
HF_TASKS = {
    "sentiment": "text-classification",
    "ner": "token-classification",
    "zero_shot": "zero-shot-classification",
    "fill_mask": "fill-mask",
    "generate": "text-generation",
    "qa": "question-answering",
    "summarize": "summarization",
    "translate": "translation_en_to_de",
}

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

TRANSIENT_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ModelNotReadyException",
                   "ServiceUnavailable", "ServiceUnavailableException"}


# ---- calling an endpoint like a pipeline ------------------------------------------------------

class SageMakerEndpoint:
    """A SageMaker endpoint called like a transformers pipeline: `endpoint(inputs, **parameters)`.

    The Hugging Face inference container runs `pipeline(inputs, **parameters)` and returns its JSON,
    so task code can call this object in place of a local pipeline.
    """

    def __init__(self, endpoint_name: str, region: str | None = None, client: Any = None,
                 timeout: float = 60.0, attempts: int = 4, base_delay: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint_name = check_name(endpoint_name)
        self.name = f"sagemaker:{endpoint_name}"
        self.region = region
        self.timeout = timeout
        self.attempts = attempts
        self.base_delay = base_delay
        self._sleep = sleep
        self._client = client
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SageMakerEndpoint({self.endpoint_name!r}, region={self.region!r})"

    def __call__(self, inputs: Any, **parameters: Any) -> Any:
        """Send {"inputs", "parameters"} as JSON and return the decoded JSON answer."""
        body = json.dumps({"inputs": inputs, "parameters": parameters})
        try:
            response = aws.with_backoff(lambda: self._invoke(body), _is_transient, self.attempts,
                                        self.base_delay, self._sleep)
            return self._decode(response)
        except ClientError as exc:
            raise self._unavailable(exc) from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise ModelUnavailable(f"SageMaker endpoint {self.endpoint_name!r}: {aws.NO_CREDENTIALS}") from exc
        except NoRegionError as exc:
            raise ModelUnavailable(f"SageMaker endpoint {self.endpoint_name!r}: {aws.NO_REGION}") from exc
        except (ReadTimeoutError, ConnectTimeoutError) as exc:
            raise ModelUnavailable(f"SageMaker endpoint {self.endpoint_name!r} did not answer within "
                                   f"{self.timeout:g} s; try again, or a shorter input.") from exc
        except EndpointConnectionError as exc:
            raise ModelUnavailable(f"SageMaker runtime in {self._region()} cannot be reached ({exc}); "
                                   "check the network and the region.") from exc
        except BotoCoreError as exc:
            raise ModelUnavailable(f"SageMaker endpoint {self.endpoint_name!r} could not be called: {exc}") from exc

    def _runtime(self) -> Any:
        with self._client_lock:
            if self._client is None:
                # A session of its own: boto3's default one would keep credentials read long ago.
                import boto3  # imported on first use: the app starts ~0.1 s sooner
                self._client = boto3.session.Session().client(
                    "sagemaker-runtime", region_name=self.region, config=aws.client_config(read_timeout=self.timeout))
            return self._client

    def _region(self) -> str:
        client = self._client
        return (client.meta.region_name if client is not None else self.region) or "the configured region"

    def _invoke(self, body: str) -> dict:
        return self._runtime().invoke_endpoint(EndpointName=self.endpoint_name, Body=body,
                                               ContentType="application/json", Accept="application/json")

    def _decode(self, response: dict) -> Any:
        raw = response["Body"].read()
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            kind = response.get("ContentType", "unknown content type")
            raise ModelUnavailable(f"SageMaker endpoint {self.endpoint_name!r} answered with something that is "
                                   f"not JSON ({kind}): {raw[:200]!r}") from exc

    def _unavailable(self, exc: ClientError) -> ModelUnavailable:
        code, message, name = aws.error_code(exc), aws.error_message(exc), self.endpoint_name
        if code == "ValidationError" and "not found" in message.lower():
            return ModelUnavailable(
                f"The SageMaker endpoint {name!r} does not exist in {self._region()}. Deploy it with "
                f"`python sagemaker_launcher.py endpoint-deploy --name {name} --task TASK --role-arn ARN`, "
                "or check the region (AWS_DEFAULT_REGION).")
        if code == "ModelError":
            original = exc.response.get("OriginalMessage") or message
            status = exc.response.get("OriginalStatusCode")
            return ModelUnavailable(f"The model behind SageMaker endpoint {name!r} failed"
                                    f"{f' (status {status})' if status else ''}: {str(original)[:400]}")
        if _is_transient(exc):
            return ModelUnavailable(f"SageMaker endpoint {name!r} is busy or not ready ({code}) after "
                                    f"{self.attempts} tries; try again in a minute.")
        if code in ("AccessDeniedException", "AccessDenied"):
            return ModelUnavailable(f"Not allowed to call SageMaker endpoint {name!r}: give the app's IAM "
                                    "user or role sagemaker:InvokeEndpoint on it (assets/iam/sagemaker-invoke.json).")
        return ModelUnavailable(f"SageMaker endpoint {name!r} could not serve ({code}): {message}")


def _is_transient(exc: Exception) -> bool:
    return isinstance(exc, ClientError) and (aws.error_code(exc) in TRANSIENT_CODES or aws.http_status(exc) == 429)


def check_name(name: str) -> str:
    """A valid SageMaker resource name, or an InputError that says what one looks like."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InputError(f"{name!r} is not a valid SageMaker name: use 1-63 letters, digits and hyphens, "
                         "starting and ending with a letter or digit.")
    return name


# ---- deploying, listing, deleting --------------------------------------------------------------

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


def check_instance_type(instance_type: str) -> str:
    """An instance type from the endpoint allowlist, or an InputError listing the allowed ones."""
    if instance_type not in ENDPOINT_HOURLY_USD:
        raise InputError(f"Instance type {instance_type!r} is not in this project's endpoint allowlist: use one "
                         f"of {', '.join(ENDPOINT_HOURLY_USD)}.")
    return instance_type


def cost_note(instance_type: str, count: int = 1) -> str:
    """What an endpoint costs while it exists (it bills per hour whether or not it is called)."""
    hourly = ENDPOINT_HOURLY_USD.get(instance_type)
    price = f"about ${hourly * count:.3f}/hour (${hourly * count * 24 * 30:,.0f}/month)" if hourly else "see pricing"
    return (f"{count} x {instance_type}: {price} in us-east-1 while the endpoint exists, called or not; "
            f"prices: {PRICING_URL}")


def hf_image_uri(region: str, instance_type: str) -> str:
    """The Hugging Face inference container for this region, GPU build on GPU instance families."""
    device = "gpu" if instance_type.split(".")[1].startswith(("g", "p")) else "cpu"
    account = DLC_ACCOUNT_BY_REGION.get(region, DLC_ACCOUNT)
    domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account}.dkr.ecr.{region}.{domain}/{HF_IMAGE_REPOSITORY}:{HF_IMAGE_TAGS[device]}"


def huggingface_plan(name: str, task: str, model_id: str, role_arn: str, region: str,
                     instance_type: str = DEFAULT_INSTANCE_TYPE, image_uri: str | None = None,
                     revision: str | None = None, owner: str = "") -> EndpointPlan:
    """A Hub checkpoint served by the Hugging Face inference container (it downloads the model at start)."""
    if task not in HF_TASKS:
        raise InputError(f"Task {task!r} cannot be deployed; use one of {', '.join(HF_TASKS)}.")
    if not model_id.strip():
        raise InputError("Give the Hub model id to deploy (e.g. --model-id openai-community/gpt2).")
    environment = {"HF_MODEL_ID": model_id, "HF_TASK": HF_TASKS[task]}
    if revision:
        environment["HF_MODEL_REVISION"] = revision
    container = {"Image": image_uri or hf_image_uri(region, check_instance_type(instance_type)),
                 "Environment": environment}
    return EndpointPlan(check_name(name), role_arn, check_instance_type(instance_type), container,
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
        raise ModelUnavailable(f"Endpoint {name} exists but failed: {endpoint.get('FailureReason', 'no reason')}. "
                               f"Delete it (endpoint-delete --name {name}) and deploy again.")
    if status == "Deleting":
        raise ModelUnavailable(f"Endpoint {name} is being deleted; wait a minute and deploy again.")
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
    return {"name": name, "status": summary["EndpointStatus"], "instance_type": instance_type,
            "instances": count, "cost": cost_note(instance_type, count), "ours": is_ours(sm, summary["EndpointArn"])}


def is_ours(sm: Any, arn: str) -> bool:
    """Whether a resource carries this app's tag (so delete never touches someone else's endpoint)."""
    tags = sm.list_tags(ResourceArn=arn).get("Tags", [])
    return any(tag["Key"] == APP_TAG["Key"] and tag["Value"] == APP_TAG["Value"] for tag in tags)


def delete(sm: Any, name: str, force: bool = False) -> list[str]:
    """Delete the endpoint, its config and its models; what is already gone is skipped. Says what was done."""
    check_name(name)
    endpoint = describe_or_none(sm.describe_endpoint, EndpointName=name)
    if endpoint is not None and not force and not is_ours(sm, endpoint["EndpointArn"]):
        raise InputError(f"Endpoint {name} was not made by this app (no app=transformers-playground tag); "
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


def describe_or_none(describe: Callable[..., dict], **request: str) -> dict | None:
    """The describe call's answer, or None when SageMaker says the resource does not exist."""
    try:
        return describe(**request)
    except ClientError as exc:
        message = aws.error_message(exc).lower()
        if aws.error_code(exc) == "ValidationException" and ("could not find" in message or "not found" in message
                                                             or "does not exist" in message
                                                             or "recordnotfound" in message):
            return None
        raise
