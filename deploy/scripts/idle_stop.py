"""Stop this notebook instance after IDLE_MINUTES without activity, counting the app's traffic (stdlib only).

Activity: Jupyter's last activity (jupyter-server-proxy records every proxied request to the app there),
a busy kernel, or an open connection to the app's port. on_start.sh runs it as root under nohup:
    python idle_stop.py IDLE_MINUTES STATE_FILE AWS_BIN [--once]
"""

from __future__ import annotations

import datetime
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request

JUPYTER_URL = os.environ.get("JUPYTER_URL", "https://localhost:8443")
RESOURCE_METADATA = os.environ.get("RESOURCE_METADATA", "/opt/ml/metadata/resource-metadata.json")
APP_PORT = 7860
CHECK_EVERY_S = 300
# Jupyter's certificate is self-signed, and the request never leaves the machine.
CONTEXT = ssl._create_unverified_context()


def jupyter(path: str) -> object:
    """GET one of Jupyter's API routes, as JSON."""
    with urllib.request.urlopen(JUPYTER_URL + path, context=CONTEXT, timeout=10) as response:
        return json.load(response)


def latest_activity(now: float) -> float:
    """The latest moment anything used the instance (`now` while a kernel is busy or the app has a client)."""
    seen = []
    try:
        stamp = jupyter("/api/status")["last_activity"].replace("Z", "+00:00")
        seen.append(datetime.datetime.fromisoformat(stamp).timestamp())
        if any(kernel["execution_state"] == "busy" for kernel in jupyter("/api/kernels")):
            seen.append(now)
    except Exception as exc:  # Jupyter restarting or down: the other signals still count
        print("jupyter not answering:", exc, flush=True)
    try:
        connections = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{APP_PORT} )"],
                                     capture_output=True, text=True).stdout.strip()
    except OSError as exc:
        connections = ""
        print("ss not available:", exc, flush=True)
    if connections:
        seen.append(now)
    return max(seen, default=0.0)


def is_idle(state_file: str, idle_seconds: float, now: float) -> bool:
    """Whether nothing happened for `idle_seconds`; the latest activity is kept in `state_file`."""
    with open(state_file) as state:
        last = max(float(state.read().strip() or 0), latest_activity(now))
    with open(state_file, "w") as state:
        state.write(str(last))
    return now - last > idle_seconds


def stop(aws_bin: str) -> None:
    """Ask SageMaker to stop this notebook instance (its name and region come from the instance's metadata)."""
    with open(RESOURCE_METADATA) as metadata:
        resource = json.load(metadata)
    region = resource["ResourceArn"].split(":")[3]
    print("idle: stopping", resource["ResourceName"], flush=True)
    subprocess.run([aws_bin, "sagemaker", "stop-notebook-instance", "--region", region,
                    "--notebook-instance-name", resource["ResourceName"]], check=False)


def main(argv: list[str]) -> None:
    idle_minutes, state_file, aws_bin = int(argv[0]), argv[1], argv[2]
    while True:
        if is_idle(state_file, idle_minutes * 60, time.time()):
            stop(aws_bin)
        if "--once" in argv:
            return
        time.sleep(CHECK_EVERY_S)


if __name__ == "__main__":
    main(sys.argv[1:])
