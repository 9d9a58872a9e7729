"""The notebook's scripts, run as the instance runs them: bash and python on the real files, in a temporary home,
with stand-ins for sudo, systemctl, chown, git, conda, pip, python, ss and aws on PATH that log how they were called."""

from __future__ import annotations

import datetime
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest

from deploy import lifecycle

SCRIPTS = lifecycle.SCRIPTS
SOURCE = "https://github.com/example/transformers-playground.git"
REQUIREMENTS = "torch==2.13.0\ngradio==6.31.0\n"
APP_COMMAND = "app.py --host 127.0.0.1 --port 7860 --root-path /proxy/7860"
HAS_GPU_TOOL = shutil.which("nvidia-smi", path="/usr/bin:/bin") is not None  # then torch is the CUDA build


class Machine:
    """A temporary notebook instance: its home, a bin folder of logging stand-ins first on PATH, one call log.

    Logged paths are relative to the machine's root: home/SageMaker/.playground is the app's state folder.
    """

    def __init__(self, root: Path) -> None:
        self.home, self.bin, self.log = root / "home", root / "bin", root / "calls.log"
        self.state = self.home / "SageMaker" / ".playground"
        self.app_dir = self.home / "SageMaker" / "transformers-playground"
        self.env_dir = self.state / "env"
        self.bin.mkdir(parents=True)
        self.log.touch()
        for name in ("systemctl", "chown", "aws"):
            self.tool(self.bin / name)
        # sudo -u USER -i COMMAND...: logged, then COMMAND runs as this user.
        self.tool(self.bin / "sudo", 'while true; do case "${1:-}" in -u) shift 2;; -i) shift;; *) break;; esac; done\n'
                                     'exec "$@"')
        # git clone ... URL DIR: an app folder with requirements.txt.
        self.tool(self.bin / "git", f'dest="${{@: -1}}"; mkdir -p "$dest"; touch "$dest/app.py"\n'
                                    f'printf {REQUIREMENTS!r} > "$dest/requirements.txt"')
        # conda create ... --prefix DIR ...: an environment whose python and pip log their calls.
        conda = self.home / "anaconda3" / "bin" / "conda"
        self.tool(conda, 'prefix=$(echo "$@" | sed "s/.*--prefix \\([^ ]*\\).*/\\1/")\n'
                         f'mkdir -p "$prefix/bin" && cp {self.bin / "_python"} "$prefix/bin/python"')
        self.python(self.bin / "_python")
        jupyter = self.home / "anaconda3" / "envs" / "JupyterSystemEnv" / "bin"
        self.tool(jupyter / "pip")
        self.tool(jupyter / "python")

    def tool(self, path: Path, then: str = "") -> None:
        """A stand-in that logs `PATH args` (paths on the machine relative to its root), then runs `then`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'#!/bin/bash\nroot={self.home.parent}/\ncall="$0 $*"\n'
                        f'echo "${{call//"$root"/}}" >> {self.log}\n{then}\n')
        path.chmod(0o755)

    def python(self, path: Path, version_ok: bool = True) -> None:
        """The app environment's python: logs its calls and the memory budget the app would see."""
        budget = '"  PLAYGROUND_MEMORY_BUDGET_MB=${PLAYGROUND_MEMORY_BUDGET_MB:-unset}"'
        self.tool(path, f'[ "${{1:-}}" = -c ] && exit {0 if version_ok else 1}\n'
                        f'[ "${{1:-}}" = app.py ] && echo {budget} >> {self.log}\ntrue')

    def env(self, **extra: str) -> dict[str, str]:
        return {"HOME": str(self.home), "PATH": f"{self.bin}:/usr/bin:/bin", "NOTEBOOK_HOME": str(self.home),
                "TMPDIR": str(self.home.parent), **extra}

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()

    def wait_for(self, text: str, timeout: float = 30.0) -> list[str]:
        """The call log once a line contains `text` (the scripts start their long work in the background)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.calls()):
            assert time.monotonic() < deadline, f"{text!r} never called; calls: {self.calls()}"
            time.sleep(0.05)
        return self.calls()

    def start_app(self, **extra: str) -> subprocess.CompletedProcess:
        env = self.env(**{"STATE": str(self.state), "PLAYGROUND_SOURCE": SOURCE, **extra})
        return subprocess.run(["bash", str(SCRIPTS / "app_start.sh")], env=env, capture_output=True, text=True,
                              timeout=60)


@pytest.fixture
def machine(tmp_path) -> Machine:
    return Machine(tmp_path)


@pytest.mark.parametrize("name", ["on_start.sh", "app_start.sh"])
def test_bash_accepts_the_scripts(name):
    assert subprocess.run(["bash", "-n", str(SCRIPTS / name)], capture_output=True).returncode == 0


def test_the_lifecycle_script_unpacks_these_files_and_starts_everything(machine):
    """The launcher's script as SageMaker runs it: as root at start, done in seconds, long work left running."""
    script = machine.home.parent / "lifecycle.sh"
    script.write_text(lifecycle.on_start_script(SOURCE, "main", 45, 2048))
    done = subprocess.run(["bash", str(script)], env=machine.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for name in lifecycle.SCRIPT_FILES[1:]:  # what runs on the instance is this repository's files
        assert (machine.state / "scripts" / name).read_bytes() == (SCRIPTS / name).read_bytes()
    machine.wait_for("idle_stop.py")  # both started in the background
    calls = machine.wait_for("PLAYGROUND_MEMORY_BUDGET_MB")  # logged by the app's start, its last step
    assert calls[:4] == [
        "bin/chown -R ec2-user:ec2-user home/SageMaker/.playground",
        "bin/sudo -u ec2-user -i home/anaconda3/envs/JupyterSystemEnv/bin/pip install --quiet --upgrade "
        "jupyter-server-proxy>=4.4",  # server-sent events stream from 4.4
        "home/anaconda3/envs/JupyterSystemEnv/bin/pip install --quiet --upgrade jupyter-server-proxy>=4.4",
        "bin/systemctl --no-block restart jupyter-server.service",  # as AWS's samples: no waiting on Jupyter
    ]
    assert ("home/anaconda3/envs/JupyterSystemEnv/bin/python home/SageMaker/.playground/scripts/idle_stop.py 45 "
            "home/SageMaker/.playground/last-activity bin/aws") in calls
    assert "bin/sudo -u ec2-user -i bash home/SageMaker/.playground/scripts/app_start.sh" in calls
    assert (machine.state / "launch.env").read_text() == (  # for app_start.sh, now and when run again by hand
        f"PLAYGROUND_SOURCE={SOURCE}\nPLAYGROUND_REF=main\nMEMORY_BUDGET_MB=2048\nAWS_BIN={machine.bin}/aws\n")
    assert f"bin/git clone --depth 1 --branch main {SOURCE} home/SageMaker/transformers-playground" in calls
    start = calls.index(f"home/SageMaker/.playground/env/bin/python {APP_COMMAND}")
    assert calls[start + 1] == "  PLAYGROUND_MEMORY_BUDGET_MB=2048"  # half of ml.t3.medium's 4 GiB
    assert "started; app log:" in (machine.state / "on-start.log").read_text()


def test_on_start_runs_from_its_own_folder_and_honours_idle_off(machine):
    env = machine.env(PLAYGROUND_SOURCE=SOURCE, IDLE_MINUTES="0")
    done = subprocess.run(["bash", str(SCRIPTS / "on_start.sh")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    calls = machine.wait_for("PLAYGROUND_MEMORY_BUDGET_MB")
    assert not any("idle_stop.py" in call for call in calls)  # 0: no auto-stop
    assert "PLAYGROUND_REF=''\nMEMORY_BUDGET_MB=''\n" in (machine.state / "launch.env").read_text()
    assert calls[-1] == "  PLAYGROUND_MEMORY_BUDGET_MB=unset"  # no figure: the app's own default


def test_on_start_refuses_to_run_without_its_settings(machine):
    done = subprocess.run(["bash", str(SCRIPTS / "on_start.sh")], env=machine.env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0 and "PLAYGROUND_SOURCE" in done.stderr
    assert machine.calls() == []


def test_app_start_installs_once_in_its_own_python_then_serves_behind_the_proxy(machine):
    for _ in range(2):
        done = machine.start_app(MEMORY_BUDGET_MB="2048")
        assert done.returncode == 0, done.stderr
    python = "home/SageMaker/.playground/env/bin/python"
    torch = (f"{python} -m pip install --quiet torch==2.13.0" if HAS_GPU_TOOL else
             f"{python} -m pip install --quiet --index-url https://download.pytorch.org/whl/cpu torch==2.13.0")
    assert machine.calls() == [
        f"bin/git clone --depth 1 {SOURCE} home/SageMaker/transformers-playground",
        "home/anaconda3/bin/conda create --yes --quiet --prefix home/SageMaker/.playground/env --override-channels "
        "--channel conda-forge python=3.12 pip",
        f"{python} -c import sys; sys.exit(sys.version_info < (3, 11))",
        torch,
        f"{python} -m pip install --quiet -r requirements.txt",
        f"{python} {APP_COMMAND}", "  PLAYGROUND_MEMORY_BUDGET_MB=2048",
        # The second start: the Python is checked, nothing is installed again.
        f"{python} -c import sys; sys.exit(sys.version_info < (3, 11))",
        f"{python} {APP_COMMAND}", "  PLAYGROUND_MEMORY_BUDGET_MB=2048",
    ]


def test_app_start_on_a_gpu_instance_installs_the_cuda_torch_before_the_cpu_index_can_pick_torch(machine):
    machine.tool(machine.bin / "nvidia-smi")  # what a GPU instance (ml.g4dn.xlarge, ml.g5...) has on PATH
    (machine.app_dir).mkdir(parents=True)
    (machine.app_dir / "app.py").touch()
    (machine.app_dir / "requirements.txt").write_text(
        "--extra-index-url https://download.pytorch.org/whl/cpu\n" + REQUIREMENTS)
    done = machine.start_app()
    assert done.returncode == 0, done.stderr
    python = "home/SageMaker/.playground/env/bin/python"
    assert [call for call in machine.calls() if " -m pip " in call] == [
        f"{python} -m pip install --quiet torch==2.13.0",  # PyPI: the CUDA build
        f"{python} -m pip install --quiet -r requirements.txt",
    ]


def test_app_start_run_by_hand_reads_the_launch_settings(machine):
    """`bash ~/SageMaker/.playground/scripts/app_start.sh` with nothing set: as on_start.sh started it."""
    (machine.state / "scripts").mkdir(parents=True)
    shutil.copy(SCRIPTS / "app_start.sh", machine.state / "scripts")
    (machine.state / "launch.env").write_text(f"PLAYGROUND_SOURCE={SOURCE}\nPLAYGROUND_REF=v2\n"
                                              "MEMORY_BUDGET_MB=4096\nAWS_BIN=aws\n")
    done = subprocess.run(["bash", str(machine.state / "scripts" / "app_start.sh")], env=machine.env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    calls = machine.calls()
    assert calls[0] == f"bin/git clone --depth 1 --branch v2 {SOURCE} home/SageMaker/transformers-playground"
    assert calls[-2:] == [f"home/SageMaker/.playground/env/bin/python {APP_COMMAND}",
                          "  PLAYGROUND_MEMORY_BUDGET_MB=4096"]


def test_app_start_reinstalls_when_requirements_change(machine):
    assert machine.start_app().returncode == 0
    (machine.app_dir / "requirements.txt").write_text(REQUIREMENTS + "bertviz==1.4.1\n")
    machine.log.write_text("")
    assert machine.start_app().returncode == 0
    assert [call.split(" -m pip ")[1] for call in machine.calls() if " -m pip " in call][-1] == (
        "install --quiet -r requirements.txt")


def test_an_environment_with_an_old_python_is_replaced(machine):
    machine.app_dir.mkdir(parents=True)
    (machine.app_dir / "app.py").touch()
    (machine.app_dir / "requirements.txt").write_text(REQUIREMENTS)
    machine.python(machine.env_dir / "bin" / "python", version_ok=False)  # e.g. made with conda_python3's 3.10
    (machine.env_dir / ".requirements").write_text("stale")
    done = machine.start_app()
    assert done.returncode == 0, done.stderr
    calls = machine.calls()
    assert any(call.startswith("home/anaconda3/bin/conda create") for call in calls)
    assert calls[-1] == "  PLAYGROUND_MEMORY_BUDGET_MB=unset"  # no figure given: the app's own default


def test_the_operator_s_memory_budget_wins(machine):
    assert machine.start_app(MEMORY_BUDGET_MB="2048", PLAYGROUND_MEMORY_BUDGET_MB="3000").returncode == 0
    assert machine.calls()[-1] == "  PLAYGROUND_MEMORY_BUDGET_MB=3000"


def test_app_start_takes_a_tarball_from_s3(machine, tmp_path):
    tarball = tmp_path / "playground.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, text in (("app.py", ""), ("requirements.txt", REQUIREMENTS)):
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    machine.tool(machine.bin / "aws", f"cat {tarball}")
    done = machine.start_app(PLAYGROUND_SOURCE="s3://bucket/playground.tar.gz", AWS_BIN=str(machine.bin / "aws"))
    assert done.returncode == 0, done.stderr
    assert machine.calls()[0] == "bin/aws s3 cp s3://bucket/playground.tar.gz -"
    assert (machine.app_dir / "requirements.txt").read_text() == REQUIREMENTS


def test_app_start_says_why_when_no_new_python_can_be_had(machine):
    machine.tool(machine.home / "anaconda3" / "bin" / "conda")  # a conda that makes nothing
    done = machine.start_app()
    assert done.returncode == 1 and "no Python 3.11 or newer" in done.stderr
    assert not any(APP_COMMAND in call for call in machine.calls())


# ---- the idle auto-stop -----------------------------------------------------------------------

class Jupyter(http.server.BaseHTTPRequestHandler):
    """Jupyter's /api/status and /api/kernels on loopback, answering what the test set."""

    answers: dict[str, object] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = json.dumps(self.answers[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def jupyter():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Jupyter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def iso(seconds_ago: float) -> str:
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def idle_check(machine: Machine, jupyter_url: str, connections: str = "", last_seen_ago: float = 3600) -> float:
    """One run of idle_stop.py --once with 30 idle minutes; returns the last activity it recorded."""
    machine.tool(machine.bin / "ss", f"printf {connections!r}")
    metadata = machine.home / "resource-metadata.json"
    metadata.write_text(json.dumps({"ResourceArn": "arn:aws:sagemaker:eu-west-1:1:notebook-instance/demo",
                                    "ResourceName": "demo"}))
    state = machine.home / "last-activity"
    state.write_text(str(time.time() - last_seen_ago))
    env = {**os.environ, "PATH": machine.env()["PATH"], "JUPYTER_URL": jupyter_url,
           "RESOURCE_METADATA": str(metadata)}
    subprocess.run([sys.executable, str(SCRIPTS / "idle_stop.py"), "30", str(state), str(machine.bin / "aws"),
                    "--once"], env=env, check=True, capture_output=True, timeout=60)
    return float(state.read_text())


STOP = "bin/aws sagemaker stop-notebook-instance --region eu-west-1 --notebook-instance-name demo"


def test_idle_for_longer_than_the_limit_stops_the_instance(machine, jupyter):
    Jupyter.answers = {"/api/status": {"last_activity": iso(3600)}, "/api/kernels": [{"execution_state": "idle"}]}
    idle_check(machine, f"http://127.0.0.1:{jupyter.server_port}")
    assert STOP in machine.calls()


@pytest.mark.parametrize("active_ago, kernel, connections", [
    (60, "idle", ""),  # a request through the proxy a minute ago
    (3600, "busy", ""),  # a notebook cell running
    (3600, "idle", "ESTAB 0 0 127.0.0.1:7860 127.0.0.1:51234"),  # the app answering someone
])
def test_activity_keeps_the_instance_running(machine, jupyter, active_ago, kernel, connections):
    Jupyter.answers = {"/api/status": {"last_activity": iso(active_ago)},
                       "/api/kernels": [{"execution_state": kernel}]}
    before = time.time()
    last = idle_check(machine, f"http://127.0.0.1:{jupyter.server_port}", connections)
    assert last >= before - 120  # the recorded activity moved forward from an hour ago
    assert STOP not in machine.calls()


def test_without_jupyter_the_app_s_connections_still_count(machine, jupyter):
    url = f"http://127.0.0.1:{jupyter.server_port}"
    jupyter.shutdown()
    jupyter.server_close()  # nothing listens there any more
    idle_check(machine, url, "ESTAB 0 0 127.0.0.1:7860 127.0.0.1:51234")
    assert STOP not in machine.calls()
    idle_check(machine, url)
    assert STOP in machine.calls()
