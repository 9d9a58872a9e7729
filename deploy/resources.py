"""What every launcher command does with SageMaker resources: names, this app's tag, describe-or-None."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from cloud import aws
from deploy.errors import UsageError

APP_TAG = {"Key": "app", "Value": "transformers-playground"}


def check_name(name: str) -> str:
    """A valid SageMaker resource name, or a UsageError that says what one looks like."""
    problem = aws.name_problem(name)
    if problem:
        raise UsageError(problem)
    return name


def tags_of(sm: Any, arn: str) -> dict[str, str]:
    """A resource's tags as a dict."""
    return {tag["Key"]: tag["Value"] for tag in sm.list_tags(ResourceArn=arn).get("Tags", [])}


def is_ours(sm: Any, arn: str) -> bool:
    """Whether a resource carries this app's tag (so stop and delete never touch someone else's)."""
    return tags_of(sm, arn).get(APP_TAG["Key"]) == APP_TAG["Value"]


def describe_or_none(describe: Callable[..., dict], **request: str) -> dict | None:
    """The describe call's answer, or None when SageMaker says the resource does not exist."""
    try:
        return describe(**request)
    except ClientError as exc:
        message = aws.error_message(exc).lower()
        if aws.error_code(exc) == "ValidationException" and any(
                hint in message for hint in ("could not find", "not found", "does not exist", "recordnotfound")):
            return None
        raise
