"""How a launcher command reaches AWS: the clients it uses, sent for real or printed (--dry-run)."""

from __future__ import annotations

import argparse
import base64
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from cloud import aws
from deploy.errors import UsageError
from deploy.lifecycle import LIFECYCLE_LIMIT

MUTATING_PREFIXES = ("create_", "start_", "stop_", "delete_", "update_", "add_tags")


class DryRun:
    """A SageMaker client that sends reads (describe, list) and prints the requests that would change things."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith(MUTATING_PREFIXES):
            return functools.partial(self._print, name)
        if name == "get_waiter":
            return _PrintedWaiter
        return getattr(self._client, name)

    @staticmethod
    def _print(operation: str, **request: Any) -> dict:
        print(f"[dry-run] would call sagemaker.{operation} with:")
        print(json.dumps(_readable(request), indent=2, default=str))
        for item in request.get("OnStart", []):
            print(f"[dry-run] the on-start script ({len(item['Content']):,} of {LIFECYCLE_LIMIT:,} base64 characters):")
            print(base64.b64decode(item["Content"]).decode())
        return {}


def _readable(request: dict) -> dict:
    shown = dict(request)
    if "OnStart" in shown:
        shown["OnStart"] = [{"Content": "<base64 of the on-start script printed below>"}]
    return shown


@dataclass
class _PrintedWaiter:
    name: str

    def wait(self, **request: Any) -> None:
        print(f"[dry-run] would wait ({self.name}) for {request}")


@dataclass
class Context:
    """The clients a command uses, and how it was asked to run."""

    sm: Any
    region: str
    owner: Callable[[], str]
    dry_run: bool
    wait: bool

    def report(self, change: str) -> None:
        """Print a change made, or in a dry run one that would have been made."""
        print(f"[dry-run, not sent] {change}" if self.dry_run else change)


def make_context(args: argparse.Namespace, session: boto3.Session | None = None) -> Context:
    """Clients for the command's region (boto3's configuration unless --region), real or printing."""
    session = session or boto3.Session(region_name=args.region)
    region = args.region or session.region_name
    if not region:
        raise UsageError(aws.NO_REGION + " Or pass --region.")
    sm = session.client("sagemaker", region_name=region)
    sts = session.client("sts", region_name=region)

    def owner() -> str:  # the IAM identity's ARN, so the owner tag says who started it
        return args.owner or sts.get_caller_identity()["Arn"]

    # A dry run waits for nothing: the changes it describes are never made.
    return Context(DryRun(sm) if args.dry_run else sm, region, owner, args.dry_run,
                   wait=not (args.no_wait or args.dry_run))
