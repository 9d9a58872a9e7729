"""The notebook lifecycle script (deploy/scripts/ packed into one on-start script) and where the app code comes from.

SageMaker takes one on-start script per lifecycle config (base64, at most 16,384 characters). The
launcher sends a short wrapper that sets the launch's settings, unpacks on_start.sh, app_start.sh and
idle_stop.py (a gzipped tar, base64) and runs on_start.sh: the files that run are the files in this
repository, which tests run directly.
"""

from __future__ import annotations

import base64
import gzip
import io
import re
import shlex
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

from deploy.errors import UsageError

SCRIPTS = Path(__file__).resolve().parent / "scripts"
SCRIPT_FILES = ("on_start.sh", "app_start.sh", "idle_stop.py")
LIFECYCLE_LIMIT = 16_384  # SageMaker's cap on the base64 of each lifecycle script
SCRIPT_MARKER = "# Transformers Playground on-start script"
SAFE_URL = re.compile(r"[\w.~:/?#@!&()*+,;=%-]+")
SAFE_REF = re.compile(r"[\w./-]+")


def lifecycle_name(name: str) -> str:
    """The lifecycle config of notebook instance `name`."""
    return f"{name}-playground"


def on_start_script(source: str, ref: str, idle_minutes: int, memory_budget_mb: int | None) -> str:
    """The on-start script for this source (git URL or s3:// tarball), branch, idle limit and the models'
    memory budget (None: the app's default)."""
    settings = {"PLAYGROUND_SOURCE": source, "PLAYGROUND_REF": ref, "IDLE_MINUTES": str(int(idle_minutes)),
                "MEMORY_BUDGET_MB": "" if memory_budget_mb is None else str(int(memory_budget_mb))}
    return "\n".join([
        "#!/bin/bash",
        f"{SCRIPT_MARKER}, made by sagemaker_launcher.py: it unpacks {', '.join(SCRIPT_FILES)}",
        "# (deploy/scripts/ in the repository, a gzipped tar below) and runs on_start.sh with these settings.",
        "export " + " ".join(f"{key}={shlex.quote(value)}" for key, value in settings.items()),
        "export SCRIPTS=$(mktemp -d)",
        f"echo {_packed()} | base64 -d | tar -xz -C \"$SCRIPTS\"",
        "exec bash \"$SCRIPTS/on_start.sh\"",
        "",
    ])


def _packed() -> str:
    """deploy/scripts/ as a gzipped tar in base64, the same bytes for the same files (so relaunching can tell
    whether the script changed)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in SCRIPT_FILES:
            data = (SCRIPTS / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(gzip.compress(buffer.getvalue(), mtime=0)).decode()


def encode_script(script: str) -> str:
    """Base64 of the script, checked against SageMaker's 16,384-character limit."""
    content = base64.b64encode(script.encode()).decode()
    if len(content) > LIFECYCLE_LIMIT:
        raise UsageError(f"The on-start script is {len(content):,} characters in base64; SageMaker allows "
                         f"{LIFECYCLE_LIMIT:,}.")
    return content


# ---- where the notebook gets the code -----------------------------------------------------------

def default_source(root: Path) -> str:
    """The `origin` remote of the clone at `root`, as an https URL the notebook can clone without keys."""
    try:
        url = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True,
                             text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        raise UsageError("This clone has no git remote `origin`: pass --source-url with a public git URL, or an "
                         "s3:// URL of a tarball of the repository (see docs/aws.md).") from None
    ssh = re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+)", url)
    return f"https://{ssh.group(1)}/{ssh.group(2)}" if ssh else url


def check_source(source: str) -> str:
    """An https git URL or an s3:// tarball, never one carrying credentials (the console shows the script)."""
    parts = urlsplit(source)
    # No quotes, spaces or $: the URL passes through two shells on the instance.
    if parts.scheme not in ("https", "s3") or not parts.netloc or not SAFE_URL.fullmatch(source):
        raise UsageError(f"--source-url must be an https git URL or s3://BUCKET/KEY.tar.gz, got {source!r}.")
    if parts.username or parts.password:
        raise UsageError("--source-url contains credentials; they would be visible in the lifecycle script. "
                         "Use a public URL, or upload a tarball to S3 the notebook's role can read.")
    return source


def check_ref(ref: str) -> str:
    """A git branch or tag name (or empty: the default branch)."""
    if ref and not SAFE_REF.fullmatch(ref):
        raise UsageError(f"--source-ref must be a branch or tag name, got {ref!r}.")
    return ref
