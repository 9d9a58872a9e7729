"""What every AWS caller here shares (cloud/ and deploy/): a local credentials check, client settings, retries,
error fields, SageMaker's naming rule."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import botocore.session
from botocore.config import Config
from botocore.credentials import create_credential_resolver
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

T = TypeVar("T")

NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")  # SageMaker's rule for endpoint and notebook names

# Providers that may start a process or call a metadata endpoint: the check below must stay local.
_NON_LOCAL_PROVIDERS = ("custom-process", "container-role", "iam-role")
_SAGEMAKER_METADATA = Path("/opt/ml/metadata/resource-metadata.json")
_EC2_MARKERS = (Path("/sys/devices/virtual/dmi/id/sys_vendor"), Path("/sys/hypervisor/uuid"))

NO_CREDENTIALS = (
    "No AWS credentials found. Configure one of: `aws configure` (an access key in ~/.aws/credentials); "
    "`aws sso login --profile NAME` and AWS_PROFILE=NAME; the variables AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary keys) in the app's environment; "
    "or, on SageMaker or EC2, an IAM role attached to the instance."
)
NO_REGION = (
    "No AWS region set. Set AWS_DEFAULT_REGION (boto3 does not read AWS_REGION), or run "
    "`aws configure set region us-east-1`, picking a region where the service offers the models you want."
)


def credentials_problem(session: botocore.session.Session | None = None) -> str | None:
    """What to configure before any AWS call can work, or None; reads only local settings (no network)."""
    session = session or botocore.session.get_session()
    try:
        region = session.get_config_variable("region")
        has_credentials = _credentials_configured(session)
    except ProfileNotFound as exc:
        return (f"The AWS profile {exc.kwargs.get('profile')!r} is not in ~/.aws/config or ~/.aws/credentials: "
                "create it with `aws configure --profile NAME`, or unset AWS_PROFILE. Then restart the app.")
    except PartialCredentialsError as exc:
        return f"AWS credentials are incomplete ({exc}): set the missing value. Then restart the app."
    except BotoCoreError as exc:
        return f"The AWS configuration cannot be read ({exc}): fix ~/.aws/config. Then restart the app."
    problems = [text for text, missing in ((NO_CREDENTIALS, not has_credentials), (NO_REGION, not region))
                if missing]
    return " ".join(problems) + " Then restart the app." if problems else None


def _credentials_configured(session: botocore.session.Session) -> bool:
    resolver = create_credential_resolver(session)
    for name in _NON_LOCAL_PROVIDERS:
        resolver.remove(name)
    # Local providers only read files and variables; role and SSO ones return deferred credentials.
    if resolver.load_credentials() is not None:
        return True
    if session.get_scoped_config().get("credential_process"):
        return True
    if os.environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return True
    return _on_aws_compute()


def _on_aws_compute() -> bool:
    """On SageMaker or EC2 an instance role may serve credentials; the metadata files tell, locally."""
    if os.environ.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true":
        return False
    if _SAGEMAKER_METADATA.exists():
        return True
    for marker in _EC2_MARKERS:
        try:
            text = marker.read_text().strip().lower()
        except OSError:
            continue
        if text.startswith("ec2") or text == "amazon ec2":
            return True
    return False


def client_config(read_timeout: float, connect_timeout: float = 5.0) -> Config:
    """Timeouts for one call, and no botocore retries: `with_backoff` does them, counted and bounded."""
    return Config(read_timeout=read_timeout, connect_timeout=connect_timeout,
                  retries={"total_max_attempts": 1, "mode": "standard"},
                  user_agent_extra="transformers-playground")


def error_code(exc: ClientError) -> str:
    """The service's error code (e.g. "ThrottlingException"), or "" when there is none."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError, limit: int = 400) -> str:
    """The service's error message, shortened for a user-facing sentence."""
    message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    return message if len(message) <= limit else message[: limit - 1] + "…"


def http_status(exc: ClientError) -> int:
    """The HTTP status of the failed call, or 0 when there is none."""
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def transport_problem(exc: BotoCoreError, who: str, after_timeout: str) -> str:
    """What a failure on the way to the service means (credentials, region, time-out, network) for the user.

    `who` names what was called ("SageMaker endpoint 'sst2'"); `after_timeout` says what to do after a time-out.
    """
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return f"{who}: {credentials_problem() or NO_CREDENTIALS}"
    if isinstance(exc, NoRegionError):
        return f"{who}: {NO_REGION}"
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return f"{who} did not answer in time; {after_timeout}"
    if isinstance(exc, EndpointConnectionError):
        return f"{who} cannot be reached ({exc}); check the network and the region."
    return f"{who} could not be called: {exc}"


def with_backoff(call: Callable[[], T], is_retryable: Callable[[Exception], bool], attempts: int = 4,
                 base_delay: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> T:
    """`call()`, tried at most `attempts` times while it fails with `is_retryable(error)`, waiting 0.5, 1, 2 s..."""
    for attempt in range(attempts - 1):
        try:
            return call()
        except Exception as exc:
            if not is_retryable(exc):
                raise
            sleep(base_delay * 2**attempt)
    return call()


def name_problem(name: object) -> str | None:
    """Why `name` is not a valid SageMaker resource name, or None; each caller raises its own error with it."""
    if isinstance(name, str) and NAME_PATTERN.fullmatch(name):
        return None
    return (f"{name!r} is not a valid SageMaker name: use 1-63 letters, digits and hyphens, "
            "starting and ending with a letter or digit.")
