#!/usr/bin/env python3
"""Host this app on a SageMaker notebook instance, and serve its models from SageMaker endpoints (boto3 only)."""

from __future__ import annotations

import argparse
import base64
import functools
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError, WaiterError

from models import aws, jumpstart
from models import sagemaker_endpoints as endpoints
from models.errors import InputError, ModelUnavailable

ROOT = Path(__file__).resolve().parent
APP_TAG = endpoints.APP_TAG
APP_PORT = 7860
PLATFORM = "notebook-al2023-v1"
DEFAULT_INSTANCE_TYPE = "ml.t3.medium"
DEFAULT_VOLUME_GB = 20
DEFAULT_IDLE_MINUTES = 60
LIFECYCLE_LIMIT = 16_384  # SageMaker's cap on the base64 of each lifecycle script
SCRIPT_MARKER = "# Transformers Playground on-start script"
PRICING_URL = endpoints.PRICING_URL

# Notebook instance types the launcher accepts, with on-demand USD per hour in us-east-1 (other
# regions differ a little). The app runs on CPU; one GPU type is there for heavier models.
NOTEBOOK_HOURLY_USD = {
    "ml.t3.medium": 0.05,
    "ml.t3.large": 0.10,
    "ml.t3.xlarge": 0.20,
    "ml.m5.xlarge": 0.23,
    "ml.c5.xlarge": 0.204,
    "ml.m5.2xlarge": 0.461,
    "ml.g4dn.xlarge": 0.7364,
}
STORAGE_USD_PER_GB_MONTH = 0.14
MUTATING_PREFIXES = ("create_", "start_", "stop_", "delete_", "update_", "add_tags")
SAFE_URL = re.compile(r"[\w.~:/?#@!&()*+,;=%-]+")
SAFE_REF = re.compile(r"[\w./-]+")


# ---- the on-start script ------------------------------------------------------------------------

ON_START = r"""#!/bin/bash
# Transformers Playground on-start script: runs as root at every start, and SageMaker stops it after
# 5 minutes, so only quick steps run here; fetching and installing the app runs under nohup.
set -u
SOURCE=@SOURCE@
REF=@REF@
IDLE_MINUTES=@IDLE_MINUTES@
WORK=/home/ec2-user/SageMaker            # the only folder kept when the instance stops
APP_DIR=$WORK/transformers-playground
STATE=$WORK/.playground
JUPYTER_ENV=/home/ec2-user/anaconda3/envs/JupyterSystemEnv
AWS_BIN=$(command -v aws || echo /home/ec2-user/anaconda3/bin/aws)
mkdir -p "$STATE" && chown ec2-user:ec2-user "$STATE"
log() { echo "$(date -u +%FT%TZ) $*" >> "$STATE/on-start.log"; }

# 1. jupyter-server-proxy 4.3 or newer: older ones buffer server-sent events, so streamed answers
#    would arrive all at once. Bounded, to stay inside the 5 minutes.
if timeout 150 sudo -u ec2-user -i "$JUPYTER_ENV/bin/pip" install --quiet --upgrade \
    'jupyter-server-proxy>=4.3' >> "$STATE/on-start.log" 2>&1; then
  systemctl restart jupyter-server || log "could not restart jupyter-server"
else
  log "could not upgrade jupyter-server-proxy: streamed answers may arrive all at once"
fi

# 2. Idle auto-stop, counting the app's traffic: jupyter-server-proxy records every proxied request
#    as Jupyter activity (/api/status), busy kernels count, and so do open connections to the app.
cat > "$STATE/idle_stop.py" <<'PY'
import datetime, json, ssl, subprocess, sys, time, urllib.request

context = ssl._create_unverified_context()  # Jupyter's self-signed certificate, on localhost only


def jupyter(path):
    with urllib.request.urlopen("https://localhost:8443" + path, context=context, timeout=10) as response:
        return json.load(response)


def latest_activity(now):
    seen = []
    try:
        stamp = jupyter("/api/status")["last_activity"].replace("Z", "+00:00")
        seen.append(datetime.datetime.fromisoformat(stamp).timestamp())
        if any(kernel["execution_state"] == "busy" for kernel in jupyter("/api/kernels")):
            seen.append(now)
    except Exception as exc:
        print("jupyter not answering:", exc, flush=True)
    try:
        connections = subprocess.run(["ss", "-Htn", "state", "established", "( sport = :7860 )"],
                                     capture_output=True, text=True).stdout.strip()
    except OSError as exc:
        connections = ""
        print("ss not available:", exc, flush=True)
    if connections:
        seen.append(now)
    return max(seen, default=0.0)


def is_idle(state_file, idle_seconds, now):
    with open(state_file) as state:
        last = max(float(state.read().strip() or 0), latest_activity(now))
    with open(state_file, "w") as state:
        state.write(str(last))
    return now - last > idle_seconds


def stop(aws_bin):
    with open("/opt/ml/metadata/resource-metadata.json") as metadata:
        resource = json.load(metadata)
    region = resource["ResourceArn"].split(":")[3]
    print("idle: stopping", resource["ResourceName"], flush=True)
    subprocess.run([aws_bin, "sagemaker", "stop-notebook-instance", "--region", region,
                    "--notebook-instance-name", resource["ResourceName"]], check=False)


if __name__ == "__main__":
    idle_minutes, state_file, aws_bin = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    while True:
        if is_idle(state_file, idle_minutes * 60, time.time()):
            stop(aws_bin)
        time.sleep(300)
PY
date +%s > "$STATE/last-activity"
PYTHON=$JUPYTER_ENV/bin/python
[ -x "$PYTHON" ] || PYTHON=python3
if [ "$IDLE_MINUTES" -gt 0 ]; then
  nohup "$PYTHON" "$STATE/idle_stop.py" "$IDLE_MINUTES" "$STATE/last-activity" "$AWS_BIN" \
    >> "$STATE/idle-stop.log" 2>&1 &
fi

# 3. The app: fetched and installed once onto the kept volume (about 10 minutes the first time),
#    then started on 127.0.0.1 behind the proxy, share link off.
cat > "$STATE/start-app.sh" <<'SH'
#!/bin/bash
set -eu
ENV_DIR=$STATE/env
export HF_HOME=$STATE/huggingface PLAYGROUND_CACHE_DIR=$STATE/cache GRADIO_ANALYTICS_ENABLED=False
if [ ! -f "$APP_DIR/app.py" ]; then
  case "$SOURCE" in
    s3://*) mkdir -p "$APP_DIR" && "$AWS_BIN" s3 cp "$SOURCE" - | tar -xz -C "$APP_DIR" ;;
    *) git clone --depth 1 ${REF:+--branch "$REF"} "$SOURCE" "$APP_DIR" ;;
  esac
fi
cd "$APP_DIR"
if [ ! -x "$ENV_DIR/bin/python" ]; then
  "$HOME/anaconda3/bin/conda" create --yes --quiet --prefix "$ENV_DIR" --override-channels \
    --channel conda-forge python=3.11
fi
WANT=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$ENV_DIR/.requirements" 2>/dev/null)" != "$WANT" ]; then
  if ! command -v nvidia-smi > /dev/null; then  # CPU instance: torch's CPU build, not CUDA's gigabytes
    "$ENV_DIR/bin/pip" install --quiet --index-url https://download.pytorch.org/whl/cpu \
      "$(grep -E '^torch==' requirements.txt)"
  fi
  "$ENV_DIR/bin/pip" install --quiet -r requirements.txt
  echo "$WANT" > "$ENV_DIR/.requirements"
fi
echo "$(date -u +%FT%TZ) starting the app at /proxy/7860/"
exec "$ENV_DIR/bin/python" app.py --host 127.0.0.1 --port 7860 --root-path /proxy/7860
SH
chown ec2-user:ec2-user "$STATE/start-app.sh"
nohup sudo -u ec2-user -i env SOURCE="$SOURCE" REF="$REF" APP_DIR="$APP_DIR" STATE="$STATE" \
  AWS_BIN="$AWS_BIN" bash "$STATE/start-app.sh" >> "$WORK/playground.log" 2>&1 &
log "started; app log: $WORK/playground.log"
"""


def on_start_script(source: str, ref: str, idle_minutes: int) -> str:
    """The on-start script for this source (git URL or s3:// tarball), branch and idle limit."""
    return (ON_START.replace("@SOURCE@", shlex.quote(source)).replace("@REF@", shlex.quote(ref))
            .replace("@IDLE_MINUTES@", str(int(idle_minutes))))


def encode_script(script: str) -> str:
    """Base64 of the script, checked against SageMaker's 16,384-character limit."""
    content = base64.b64encode(script.encode()).decode()
    if len(content) > LIFECYCLE_LIMIT:
        raise InputError(f"The on-start script is {len(content):,} characters in base64; SageMaker allows "
                         f"{LIFECYCLE_LIMIT:,}.")
    return content


# ---- where the notebook gets the code -----------------------------------------------------------

def default_source() -> str:
    """This clone's `origin` remote as an https URL the notebook can clone without keys."""
    try:
        url = subprocess.run(["git", "-C", str(ROOT), "remote", "get-url", "origin"], capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        raise InputError("This clone has no git remote `origin`: pass --source-url with a public git URL, or an "
                         "s3:// URL of a tarball of the repository (see docs/aws.md).") from None
    ssh = re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+)", url)
    return f"https://{ssh.group(1)}/{ssh.group(2)}" if ssh else url


def check_source(source: str) -> str:
    """An https git URL or an s3:// tarball, never one carrying credentials (the console shows the script)."""
    parts = urlsplit(source)
    # No quotes, spaces or $: the URL passes through two shells on the instance.
    if parts.scheme not in ("https", "s3") or not parts.netloc or not SAFE_URL.fullmatch(source):
        raise InputError(f"--source-url must be an https git URL or s3://BUCKET/KEY.tar.gz, got {source!r}.")
    if parts.username or parts.password:
        raise InputError("--source-url contains credentials; they would be visible in the lifecycle script. "
                         "Use a public URL, or upload a tarball to S3 the notebook's role can read.")
    return source


def check_ref(ref: str) -> str:
    if ref and not SAFE_REF.fullmatch(ref):
        raise InputError(f"--source-ref must be a branch or tag name, got {ref!r}.")
    return ref


# ---- naming, tags, costs ------------------------------------------------------------------------

def check_notebook_type(instance_type: str) -> str:
    if instance_type not in NOTEBOOK_HOURLY_USD:
        raise InputError(f"Instance type {instance_type!r} is not in the launcher's allowlist: use one of "
                         f"{', '.join(NOTEBOOK_HOURLY_USD)}.")
    return instance_type


def lifecycle_name(name: str) -> str:
    return f"{name}-playground"


def notebook_cost(name: str, instance_type: str, volume_gb: int, idle_minutes: str | int) -> str:
    """The reminder printed on every launch and status: what it costs and how to stop it."""
    hourly = NOTEBOOK_HOURLY_USD.get(instance_type)
    price = f"about ${hourly:.3f}/hour" if hourly else "see the pricing page"
    idle = (f"it stops itself after {idle_minutes} idle minutes" if str(idle_minutes) not in ("0", "")
            else "idle auto-stop is OFF")
    return (f"Cost: {instance_type} bills {price} while InService (us-east-1 on-demand), plus about "
            f"${volume_gb * STORAGE_USD_PER_GB_MONTH:.2f}/month\n"
            f"      for its {volume_gb} GB volume until deleted; {idle}.\n"
            f"Stop: python sagemaker_launcher.py stop --name {name}    "
            f"Delete: python sagemaker_launcher.py delete --name {name}\n"
            f"Prices: {PRICING_URL}")


# ---- AWS access: real, or printed (--dry-run) ---------------------------------------------------

class DryRun:
    """A SageMaker client that sends reads (describe, list) and prints the requests that would change things."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith(MUTATING_PREFIXES):
            return functools.partial(self._print, name)
        if name == "get_waiter":
            return lambda waiter: _PrintedWaiter(waiter)
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


def make_context(args: argparse.Namespace, session: boto3.Session | None) -> Context:
    session = session or boto3.Session(region_name=args.region)
    region = args.region or session.region_name
    if not region:
        raise InputError(aws.NO_REGION + " Or pass --region.")
    sm = session.client("sagemaker", region_name=region)
    sts = session.client("sts", region_name=region)

    def owner() -> str:  # the IAM identity's ARN, so the owner tag says who started it
        return args.owner or sts.get_caller_identity()["Arn"]

    # A dry run waits for nothing: the changes it describes are never made.
    return Context(DryRun(sm) if args.dry_run else sm, region, owner, args.dry_run,
                   wait=not (args.no_wait or args.dry_run))


# ---- notebook commands --------------------------------------------------------------------------

def describe_notebook(ctx: Context, name: str) -> dict | None:
    return endpoints.describe_or_none(ctx.sm.describe_notebook_instance, NotebookInstanceName=name)


def require_ours(ctx: Context, instance: dict) -> None:
    if not endpoints.is_ours(ctx.sm, instance["NotebookInstanceArn"]):
        raise InputError(f"Notebook instance {instance['NotebookInstanceName']} was not made by this launcher "
                         "(no app=transformers-playground tag); pick another --name, or manage it in the console.")


def tags_of(ctx: Context, instance: dict) -> dict[str, str]:
    tags = ctx.sm.list_tags(ResourceArn=instance["NotebookInstanceArn"]).get("Tags", [])
    return {tag["Key"]: tag["Value"] for tag in tags}


def ensure_lifecycle(ctx: Context, name: str, script: str) -> str:
    """Create the lifecycle config, or bring its script up to date; say which."""
    content = encode_script(script)
    config_name = lifecycle_name(name)
    existing = endpoints.describe_or_none(ctx.sm.describe_notebook_instance_lifecycle_config,
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
        "LifecycleConfigName": lifecycle_name(args.name),
        "DirectInternetAccess": "Enabled",  # the on-start script installs packages from PyPI
        "VolumeSizeInGB": args.volume_gb,
        "RootAccess": "Disabled",
        "PlatformIdentifier": PLATFORM,
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
        "Tags": [APP_TAG, {"Key": "owner", "Value": owner},
                 {"Key": "idle-stop-minutes", "Value": str(args.idle_minutes)}],
    }


def cmd_launch(args: argparse.Namespace, ctx: Context) -> int:
    check_notebook_type(args.instance_type)
    if args.idle_minutes < 0:
        raise InputError("--idle-minutes must be 0 (off) or more.")
    source = check_source(args.source_url or default_source())
    script = on_start_script(source, check_ref(args.source_ref), args.idle_minutes)
    instance = describe_notebook(ctx, args.name)
    if instance is None:
        if not args.role_arn:
            raise InputError("--role-arn is required to create the notebook instance: the IAM role it runs as "
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
    print(notebook_cost(args.name, args.instance_type if instance is None else instance["InstanceType"],
                        args.volume_gb if instance is None else instance.get("VolumeSizeInGB", 5),
                        args.idle_minutes))
    return 0


def sync_idle_tag(ctx: Context, instance: dict, idle_minutes: int) -> None:
    """Keep the idle-stop-minutes tag (what `status` reports) in step with the script."""
    if tags_of(ctx, instance).get("idle-stop-minutes") != str(idle_minutes):
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
        raise ModelUnavailable(f"Notebook instance {name} failed: {instance.get('FailureReason', 'no reason')}. "
                               f"Delete it (delete --name {name}) and launch again.")
    elif status == "Deleting":
        raise ModelUnavailable(f"Notebook instance {name} is being deleted; wait a minute and launch again.")
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
        raise ModelUnavailable(f"Notebook instance {name} did not start: {reason}") from exc


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
    idle = tags_of(ctx, instance).get("idle-stop-minutes", "")
    print(notebook_cost(args.name, instance["InstanceType"], instance.get("VolumeSizeInGB", 5), idle))
    return 0


def cmd_url(args: argparse.Namespace, ctx: Context) -> int:
    instance = describe_notebook(ctx, args.name)
    if instance is None or instance["NotebookInstanceStatus"] != "InService":
        state = "does not exist" if instance is None else f"is {instance['NotebookInstanceStatus']}"
        print(f"Notebook instance {args.name} {state}; launch it first: "
              f"python sagemaker_launcher.py launch --name {args.name}")
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
    config = endpoints.describe_or_none(ctx.sm.describe_notebook_instance_lifecycle_config,
                                        NotebookInstanceLifecycleConfigName=lifecycle_name(name))
    if config is None:
        return
    scripts = [base64.b64decode(item.get("Content", "")).decode(errors="replace") for item in config.get("OnStart", [])]
    if any(SCRIPT_MARKER in script for script in scripts):
        ctx.sm.delete_notebook_instance_lifecycle_config(NotebookInstanceLifecycleConfigName=lifecycle_name(name))
        ctx.report(f"deleted lifecycle config {lifecycle_name(name)}")


# ---- endpoint commands --------------------------------------------------------------------------

def registry_default(task: str) -> str:
    """The registry's default checkpoint for a task (the launcher stays usable without the app's code)."""
    try:
        from models.registry import spec
    except ImportError:
        raise InputError("Pass --model-id: the app's registry is not importable here.") from None
    try:
        return spec(task).checkpoints[0]
    except KeyError:
        raise InputError(f"Unknown task {task!r}; use one of {', '.join(endpoints.HF_TASKS)}.") from None


def cmd_endpoint_deploy(args: argparse.Namespace, ctx: Context) -> int:
    if not args.task:
        raise InputError(f"--task is required: one of {', '.join(endpoints.HF_TASKS)}.")
    instance_type = args.instance_type or endpoints.DEFAULT_INSTANCE_TYPE
    plan = endpoints.huggingface_plan(args.name, args.task, args.model_id or registry_default(args.task),
                                      require_role(args), ctx.region, instance_type, args.image_uri,
                                      args.revision, owner=ctx.owner())
    return run_deploy(ctx, plan, args.task)


def cmd_jumpstart_deploy(args: argparse.Namespace, ctx: Context) -> int:
    document, version = jumpstart.describe(ctx.sm, args.model_id or jumpstart.DEFAULT_MODEL_ID, args.model_version)
    plan = jumpstart.plan(args.name, args.model_id or jumpstart.DEFAULT_MODEL_ID, document, version,
                          require_role(args), args.instance_type, args.image_uri, args.accept_eula,
                          owner=ctx.owner())
    return run_deploy(ctx, plan, "generate")


def require_role(args: argparse.Namespace) -> str:
    if not args.role_arn:
        raise InputError("--role-arn is required: the IAM role the endpoint runs as (docs/aws.md, Endpoints).")
    return args.role_arn


def run_deploy(ctx: Context, plan: endpoints.EndpointPlan, task: str) -> int:
    print(f"deploying {plan.summary} to endpoint {plan.name} on {plan.instance_type} in {ctx.region}")
    for change in endpoints.deploy(ctx.sm, plan, wait=ctx.wait):
        ctx.report(change)
    print(f"Use it: python app.py --model {task}=sagemaker:{plan.name}")
    print(f"Cost: {endpoints.cost_note(plan.instance_type)}. "
          f"Delete: python sagemaker_launcher.py endpoint-delete --name {plan.name}")
    return 0


def cmd_endpoint_list(args: argparse.Namespace, ctx: Context) -> int:
    rows = endpoints.list_endpoints(ctx.sm)
    if not rows:
        print(f"No SageMaker endpoints in {ctx.region}.")
    for row in rows:
        mark = "this app" if row["ours"] else "not this app's"
        print(f"{row['name']}: {row['status']} ({mark}); {row['cost']}")
    return 0


def cmd_endpoint_delete(args: argparse.Namespace, ctx: Context) -> int:
    done = endpoints.delete(ctx.sm, args.name, force=args.force)
    for change in done:
        ctx.report(change)
    if not done:
        print(f"No endpoint, config or model named {args.name} in {ctx.region}; nothing to delete.")
    return 0


# ---- command line -------------------------------------------------------------------------------

COMMANDS: dict[str, Callable[[argparse.Namespace, Context], int]] = {
    "launch": cmd_launch, "status": cmd_status, "url": cmd_url, "stop": cmd_stop, "delete": cmd_delete,
    "endpoint-deploy": cmd_endpoint_deploy, "endpoint-list": cmd_endpoint_list,
    "endpoint-delete": cmd_endpoint_delete, "jumpstart-deploy": cmd_jumpstart_deploy,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Run Transformers Playground on a SageMaker notebook instance, and deploy its models to "
                    "SageMaker endpoints. Uses boto3's own configuration (profiles, AWS_DEFAULT_REGION, "
                    "AWS_ENDPOINT_URL).")
    parser.add_argument("command", choices=list(COMMANDS))
    parser.add_argument("--name", help="notebook instance or endpoint name (letters, digits, hyphens)")
    parser.add_argument("--role-arn", help="IAM role the notebook instance or endpoint runs as")
    parser.add_argument("--instance-type", help=f"notebook default {DEFAULT_INSTANCE_TYPE}, endpoint default "
                                                f"{endpoints.DEFAULT_INSTANCE_TYPE}")
    parser.add_argument("--region", help="AWS region (default: boto3's configuration)")
    parser.add_argument("--dry-run", action="store_true",
                        help="read the current state, print the requests that would change it, send none of them")
    parser.add_argument("--no-wait", action="store_true", help="return without waiting for the new state")
    parser.add_argument("--owner", help="value of the owner tag (default: your IAM identity's ARN)")
    notebook = parser.add_argument_group("launch")
    notebook.add_argument("--source-url", help="https git URL or s3:// tarball the notebook installs the app from "
                                               "(default: this clone's origin remote)")
    notebook.add_argument("--source-ref", default="", help="git branch or tag to clone (default: the default branch)")
    notebook.add_argument("--volume-gb", type=int, default=DEFAULT_VOLUME_GB)
    notebook.add_argument("--idle-minutes", type=int, default=DEFAULT_IDLE_MINUTES,
                          help="stop the instance after this many idle minutes (0: never)")
    endpoint = parser.add_argument_group("endpoint-deploy, jumpstart-deploy, endpoint-delete")
    endpoint.add_argument("--task", help=f"app task to serve: {', '.join(endpoints.HF_TASKS)}")
    endpoint.add_argument("--model-id", help="Hub model id (default: the registry's) or JumpStart model id "
                                             f"(default: {jumpstart.DEFAULT_MODEL_ID})")
    endpoint.add_argument("--revision", help="Hub revision (commit, branch or tag) to serve")
    endpoint.add_argument("--model-version", help="JumpStart model version (default: the newest)")
    endpoint.add_argument("--image-uri", help="container image to use instead of the default one")
    endpoint.add_argument("--accept-eula", action="store_true", help="accept a JumpStart model's licence")
    endpoint.add_argument("--force", action="store_true", help="endpoint-delete: also delete endpoints "
                                                               "this app did not create")
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    if args.command != "endpoint-list" and not args.name:
        raise InputError(f"{args.command} needs --name.")
    if args.command != "endpoint-list":
        endpoints.check_name(args.name)
    if args.command in ("launch", "status", "url", "stop", "delete"):
        if len(args.name) > 63 - len(lifecycle_name("")):
            raise InputError("A notebook instance name can have at most 52 characters (its lifecycle config "
                             "adds \"-playground\").")
        args.instance_type = args.instance_type or DEFAULT_INSTANCE_TYPE
    return args


def main(argv: list[str] | None = None, session: boto3.Session | None = None) -> int:
    """Run one command; errors become one clear line on stderr and a non-zero exit code."""
    try:
        args = parse_args(argv)
        return COMMANDS[args.command](args, make_context(args, session))
    except InputError as exc:
        return fail(str(exc), 2)
    except ModelUnavailable as exc:
        return fail(str(exc), 1)
    except NoCredentialsError:
        return fail(aws.NO_CREDENTIALS, 1)
    except NoRegionError:
        return fail(aws.NO_REGION + " Or pass --region.", 1)
    except ClientError as exc:
        return fail(f"AWS refused: {aws.error_code(exc)}: {aws.error_message(exc)}", 1)
    except (WaiterError, BotoCoreError) as exc:
        return fail(str(exc), 1)


def fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
