"""Notebook instances: launch (create or resume, with the lifecycle script), status, sign-in URL, stop, delete."""

from __future__ import annotations

import argparse
import base64
from pathlib import Path

from botocore.exceptions import ClientError, WaiterError

from cloud import aws
from deploy import instances, lifecycle
from deploy.context import Context
from deploy.errors import DeployError, UsageError
from deploy.resources import APP_TAG, describe_or_none, is_ours, tags_of

ROOT = Path(__file__).resolve().parents[1]  # the clone whose origin the notebook installs by default
APP_PORT = 7860
PLATFORM = "notebook-al2023-v1"
DEFAULT_INSTANCE_TYPE = "ml.t3.medium"
DEFAULT_VOLUME_GB = 20
DEFAULT_IDLE_MINUTES = 60


def describe_notebook(ctx: Context, name: str) -> dict | None:
    return describe_or_none(ctx.sm.describe_notebook_instance, NotebookInstanceName=name)


def require_ours(ctx: Context, instance: dict) -> None:
    if not is_ours(ctx.sm, instance["NotebookInstanceArn"]):
        raise UsageError(f"Notebook instance {instance['NotebookInstanceName']} was not made by this launcher "
                         "(no app=transformers-playground tag); pick another --name, or manage it in the console.")


def ensure_lifecycle(ctx: Context, name: str, script: str) -> str:
    """Create the lifecycle config, or bring its script up to date; say which."""
    content = lifecycle.encode_script(script)
    config_name = lifecycle.lifecycle_name(name)
    existing = describe_or_none(ctx.sm.describe_notebook_instance_lifecycle_config,
                                NotebookInstanceLifecycleConfigName=config_name)
    if existing is None:
        ctx.sm.create_notebook_instance_lifecycle_config(
            NotebookInstanceLifecycleConfigName=config_name, OnStart=[{"Content": content}],
            Tags=[APP_TAG])
        return f"created lifecycle config {config_name}"
    if [item.get("Content") for item in existing.get("OnStart", [])] == [content]:
        return f"lifecycle config {config_name} is up to date"
    ctx.sm.update_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=config_name,
                                                     OnStart=[{"Content": content}])
    return f"updated lifecycle config {config_name} (used from the next start)"


def notebook_request(args: argparse.Namespace, owner: str) -> dict:
    """The create_notebook_instance request: safe defaults that are not left to the console's."""
    return {
        "NotebookInstanceName": args.name,
        "InstanceType": args.instance_type,
        "RoleArn": args.role_arn,
        "LifecycleConfigName": lifecycle.lifecycle_name(args.name),
        "DirectInternetAccess": "Enabled",  # the on-start script installs packages from PyPI
        "VolumeSizeInGB": args.volume_gb,
        "RootAccess": "Disabled",
        "PlatformIdentifier": PLATFORM,
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
        "Tags": [APP_TAG, {"Key": "owner", "Value": owner},
                 {"Key": "idle-stop-minutes", "Value": str(args.idle_minutes)}],
    }


def cmd_launch(args: argparse.Namespace, ctx: Context) -> int:
    instances.notebook_type(args.instance_type)
    if args.idle_minutes < 0:
        raise UsageError("--idle-minutes must be 0 (off) or more.")
    if args.memory_budget_mb is not None and args.memory_budget_mb < 1:
        raise UsageError("--memory-budget-mb must be 1 or more (or left out: half the instance's memory).")
    source = lifecycle.check_source(args.source_url or lifecycle.default_source(ROOT))
    ref = lifecycle.check_ref(args.source_ref)
    instance = describe_notebook(ctx, args.name)
    instance_type = args.instance_type if instance is None else instance["InstanceType"]
    budget_mb = args.memory_budget_mb or instances.memory_budget_mb(instance_type)
    script = lifecycle.on_start_script(source, ref, args.idle_minutes, budget_mb)
    if instance is None:
        if not args.role_arn:
            raise UsageError("--role-arn is required to create the notebook instance: the IAM role it runs as "
                             "(docs/aws.md shows how to create one).")
        ctx.report(ensure_lifecycle(ctx, args.name, script))
        ctx.sm.create_notebook_instance(**notebook_request(args, ctx.owner()))
        ctx.report(f"created notebook instance {args.name} ({args.instance_type})")
    else:
        require_ours(ctx, instance)
        ctx.report(ensure_lifecycle(ctx, args.name, script))
        sync_idle_tag(ctx, instance, args.idle_minutes)
        resume(ctx, instance)
    if ctx.wait:
        wait_in_service(ctx, args.name)
        print_urls(ctx, args.name, presign_optional=True)
    volume_gb = args.volume_gb if instance is None else instance.get("VolumeSizeInGB", 5)
    print(instances.notebook_cost(args.name, instance_type, volume_gb, args.idle_minutes))
    return 0


def sync_idle_tag(ctx: Context, instance: dict, idle_minutes: int) -> None:
    """Keep the idle-stop-minutes tag (what `status` reports) in step with the script."""
    if tags_of(ctx.sm, instance["NotebookInstanceArn"]).get("idle-stop-minutes") != str(idle_minutes):
        ctx.sm.add_tags(ResourceArn=instance["NotebookInstanceArn"],
                        Tags=[{"Key": "idle-stop-minutes", "Value": str(idle_minutes)}])


def resume(ctx: Context, instance: dict) -> None:
    """Bring an existing instance to InService without creating anything."""
    name, status = instance["NotebookInstanceName"], instance["NotebookInstanceStatus"]
    if status == "Stopping":
        wait(ctx, "notebook_instance_stopped", name)
        status = "Stopped"
    if status == "Stopped":
        ctx.sm.start_notebook_instance(NotebookInstanceName=name)
        ctx.report(f"started the existing notebook instance {name}")
    elif status == "Failed":
        raise DeployError(f"Notebook instance {name} failed: {instance.get('FailureReason', 'no reason')}. "
                          f"Delete it (delete --name {name}) and launch again.")
    elif status == "Deleting":
        raise DeployError(f"Notebook instance {name} is being deleted; wait a minute and launch again.")
    else:
        print(f"notebook instance {name} already exists ({status}); nothing created")


def wait(ctx: Context, waiter: str, name: str) -> None:
    # Starting takes 3-10 minutes and stopping 1-3: poll every 15 s for up to 30 minutes.
    ctx.sm.get_waiter(waiter).wait(NotebookInstanceName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 120})


def wait_in_service(ctx: Context, name: str) -> None:
    print(f"waiting for {name} to be InService (usually 3-10 minutes)...")
    try:
        wait(ctx, "notebook_instance_in_service", name)
    except WaiterError as exc:
        instance = describe_notebook(ctx, name) or {}
        reason = instance.get("FailureReason") or str(exc)
        raise DeployError(f"Notebook instance {name} did not start: {reason}") from exc


def print_urls(ctx: Context, name: str, presign_optional: bool = False) -> None:
    instance = describe_notebook(ctx, name) or {}
    print(f"App: https://{instance.get('Url', f'{name}.notebook.{ctx.region}.sagemaker.aws')}/proxy/{APP_PORT}/")
    print("  The first start installs the app (about 10 minutes); Jupyter's playground.log shows progress.")
    try:
        url = ctx.sm.create_presigned_notebook_instance_url(
            NotebookInstanceName=name, SessionExpirationDurationInSeconds=3600)["AuthorizedUrl"]
    except ClientError as exc:
        if not presign_optional:
            raise
        print(f"  (no sign-in link: {aws.error_code(exc) or exc}; run `url --name {name}`, or open the instance "
              "from the SageMaker console)")
        return
    print(f"Sign in first (a private link, valid 5 minutes; do not share it): {url}")


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    instance = describe_notebook(ctx, args.name)
    if instance is None:
        print(f"No notebook instance named {args.name} in {ctx.region}. Create it with: "
              f"python sagemaker_launcher.py launch --name {args.name} --role-arn ARN")
        return 0
    status = instance["NotebookInstanceStatus"]
    print(f"Notebook instance {args.name}: {status} ({instance['InstanceType']}, "
          f"{instance.get('VolumeSizeInGB', 5)} GB, created {instance.get('CreationTime')})")
    if status == "InService":
        print(f"App: https://{instance['Url']}/proxy/{APP_PORT}/ (run `url` for a sign-in link)")
    if instance.get("FailureReason"):
        print(f"Failure: {instance['FailureReason']}")
    idle = tags_of(ctx.sm, instance["NotebookInstanceArn"]).get("idle-stop-minutes", "")
    print(instances.notebook_cost(args.name, instance["InstanceType"], instance.get("VolumeSizeInGB", 5), idle))
    return 0


def cmd_url(args: argparse.Namespace, ctx: Context) -> int:
    instance = describe_notebook(ctx, args.name)
    if instance is None or instance["NotebookInstanceStatus"] != "InService":
        state = "does not exist" if instance is None else f"is {instance['NotebookInstanceStatus']}"
        print(f"Notebook instance {args.name} {state}; launch it first: "
              f"python sagemaker_launcher.py launch --name {args.name} --role-arn ARN")
        return 1
    print_urls(ctx, args.name)
    return 0


def cmd_stop(args: argparse.Namespace, ctx: Context) -> int:
    instance = describe_notebook(ctx, args.name)
    if instance is None:
        print(f"No notebook instance named {args.name} in {ctx.region}; nothing to stop.")
        return 0
    require_ours(ctx, instance)
    stop(ctx, instance)
    return 0


def stop(ctx: Context, instance: dict) -> None:
    name, status = instance["NotebookInstanceName"], instance["NotebookInstanceStatus"]
    if status in ("Stopped", "Failed"):
        print(f"notebook instance {name} is already {status}")
        return
    if status in ("Pending", "Updating"):
        wait(ctx, "notebook_instance_in_service", name)  # SageMaker refuses to stop in these states
    if status != "Stopping":
        ctx.sm.stop_notebook_instance(NotebookInstanceName=name)
        ctx.report(f"stopping notebook instance {name} (compute billing ends; the volume is kept)")
    if ctx.wait:
        wait(ctx, "notebook_instance_stopped", name)
        print(f"notebook instance {name} is Stopped")


def cmd_delete(args: argparse.Namespace, ctx: Context) -> int:
    instance = describe_notebook(ctx, args.name)
    if instance is None:
        print(f"No notebook instance named {args.name} in {ctx.region}; nothing to delete.")
    else:
        require_ours(ctx, instance)
        ctx.wait = not ctx.dry_run  # SageMaker deletes only stopped instances, and the config only unused
        stop(ctx, instance)
        ctx.sm.delete_notebook_instance(NotebookInstanceName=args.name)
        ctx.report(f"deleting notebook instance {args.name} and its volume")
        if ctx.wait:
            ctx.sm.get_waiter("notebook_instance_deleted").wait(
                NotebookInstanceName=args.name, WaiterConfig={"Delay": 15, "MaxAttempts": 60})
            print(f"notebook instance {args.name} is deleted; it costs nothing any more")
    delete_lifecycle(ctx, args.name)
    return 0


def delete_lifecycle(ctx: Context, name: str) -> None:
    """Delete the lifecycle config if it is this launcher's (its script carries the marker)."""
    config_name = lifecycle.lifecycle_name(name)
    config = describe_or_none(ctx.sm.describe_notebook_instance_lifecycle_config,
                              NotebookInstanceLifecycleConfigName=config_name)
    if config is None:
        return
    scripts = [base64.b64decode(item.get("Content", "")).decode(errors="replace") for item in config.get("OnStart", [])]
    if any(lifecycle.SCRIPT_MARKER in script for script in scripts):
        ctx.sm.delete_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=config_name)
        ctx.report(f"deleted lifecycle config {config_name}")
