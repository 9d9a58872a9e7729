"""Set-up: the requirement files say what a Space installs, and scripts/setup.sh and scripts/pip_install.sh install
them without ever waiting on an index this machine cannot reach. The scripts run on copies of the real files with a
stand-in python on PATH that logs every call (tests/test_space.py installs for real)."""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.imports import imported

ROOT = Path(__file__).resolve().parents[2]
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TEST_TOOLS = {"pytest", "moto", "playwright", "ruff"}
APP_CODE = ["app.py", "config.py", "state.py", "sagemaker_launcher.py", "tabs", "serving", "models", "cloud", "deploy"]
# A python stand-in: logs "python ARGS" (and the lines of a -r file); answers the version checks as told by
# PY_TOO_OLD, the installed torch by TORCH_INSTALLED; `-m venv DIR` copies itself to DIR/bin/python;
# `pip install --no-index` fails unless WHEEL_ON_DISK (a wheel in pip's find-links) is set.
STAND_IN = r"""#!/bin/bash
echo "python $*" >> "$LOG"
case "$1 $2" in
  "-c "*sys.exit*) exit "${PY_TOO_OLD:-0}" ;;
  "-c "*importlib.metadata*) [ -n "${TORCH_INSTALLED:-}" ] && echo "$TORCH_INSTALLED" ;;
  "-c "*print*) echo "Python 3.10" ;;
  "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip")
    [[ " $* " == *" --no-index "* ]] && [ -z "${WHEEL_ON_DISK:-}" ] && exit 1
    previous=
    for arg in "$@"; do
      [ "$previous" = -r ] && sed 's/^/  | /' "$arg" >> "$LOG"
      previous=$arg
    done ;;
esac
exit 0
"""


class Checkout:
    """A copy of the set-up scripts and requirement files, and a bin folder whose python3 is the stand-in."""

    def __init__(self, root: Path) -> None:
        self.root, self.log = root, root / "calls.log"
        for name in ("scripts/setup.sh", "scripts/pip_install.sh", "requirements.txt", "requirements-dev.txt",
                     "requirements-offline.txt"):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, root / name)
        stand_in = root / "bin" / "python3"
        stand_in.parent.mkdir()
        stand_in.write_text(STAND_IN)
        stand_in.chmod(0o755)
        self.log.touch()

    def run(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
        environ = {"PATH": f"{self.root / 'bin'}:/usr/bin:/bin", "LOG": str(self.log), "HOME": str(self.root),
                   **env}
        return subprocess.run(["bash", str(self.root / script), *args], cwd=self.root, env=environ,
                              capture_output=True, text=True, timeout=60)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines()

    def installs(self) -> list[str]:
        """Each pip install: its arguments, with a -r file's temporary path left out."""
        found = [line.split(" -m pip install ", 1)[1] for line in self.calls() if " -m pip install " in line]
        return [re.sub(r" -r \S+", " -r FILE", line) for line in found]


@pytest.fixture
def checkout(tmp_path) -> Checkout:
    return Checkout(tmp_path)


def requirement_names(name: str) -> set[str]:
    lines = (ROOT / name).read_text().splitlines()
    pinned = [line.split("==")[0] for line in lines if line.strip() and not line.startswith(("#", "-"))]
    return {re.sub(r"\[.*\]", "", item).lower().replace("_", "-") for item in pinned}


# ---- the requirement files ---------------------------------------------------------------------------------------

def test_requirements_pin_the_cpu_torch_and_nothing_for_tests():
    text = (ROOT / "requirements.txt").read_text()
    assert [line for line in text.splitlines() if line.startswith("-")] == [f"--extra-index-url {CPU_INDEX}"]
    assert "torch==2.13.0" in text.splitlines()
    assert all(line.startswith(("#", "-")) or "==" in line for line in text.splitlines() if line.strip())
    assert not requirement_names("requirements.txt") & TEST_TOOLS
    assert requirement_names("requirements-dev.txt") == TEST_TOOLS
    everything = " ".join((ROOT / name).read_text() for name in ("requirements.txt", "requirements-dev.txt",
                                                                  "requirements-offline.txt"))
    assert "mpld3" not in everything and "sphinxcontrib" not in everything  # bertviz's scripts are vendored


def imported_packages() -> set[str]:
    """The top-level packages the app's code imports, beyond the standard library and the app's own."""
    files = [path for entry in APP_CODE for path in ([ROOT / entry] if entry.endswith(".py")
                                                      else (ROOT / entry).rglob("*.py"))]
    own = {entry.removesuffix(".py") for entry in APP_CODE}
    found = {name.split(".")[0] for path in files for name in imported(path)}
    return {name for name in found if name not in sys.stdlib_module_names and name not in own}


def test_every_package_the_app_imports_is_in_requirements_txt():
    distributions = importlib.metadata.packages_distributions()
    wanted = {dist.lower().replace("_", "-") for name in imported_packages() for dist in distributions[name]}
    assert {"torch", "transformers", "gradio", "bertviz", "pandas", "pillow", "psutil", "boto3"} <= wanted
    assert wanted <= requirement_names("requirements.txt"), wanted - requirement_names("requirements.txt")
    assert "protobuf" in requirement_names("requirements.txt")  # not imported: T5's tokenizer conversion needs it


# ---- scripts/pip_install.sh --------------------------------------------------------------------------------------

def test_torch_comes_from_the_wheel_on_disk_and_the_index_is_never_passed_to_pip(checkout):
    done = checkout.run("scripts/pip_install.sh", "python3", "requirements.txt", WHEEL_ON_DISK="1")
    assert done.returncode == 0, done.stderr
    assert checkout.installs() == ["--quiet --no-index --no-deps torch==2.13.0", "--quiet -r FILE"]
    assert CPU_INDEX not in checkout.log.read_text()
    installed = [line[4:] for line in checkout.calls() if line.startswith("  | ")]  # the -r file pip was given
    assert installed == [line for line in (ROOT / "requirements.txt").read_text().splitlines()
                         if not line.startswith("--")]


def test_without_a_wheel_on_disk_the_index_serves_torch_alone(checkout):
    done = checkout.run("scripts/pip_install.sh", "python3", "requirements.txt")
    assert done.returncode == 0, done.stderr
    assert checkout.installs() == ["--quiet --no-index --no-deps torch==2.13.0",
                                   f"--quiet --extra-index-url {CPU_INDEX} torch==2.13.0", "--quiet -r FILE"]


def test_a_torch_of_the_pinned_version_is_kept_whichever_build(checkout):
    done = checkout.run("scripts/pip_install.sh", "python3", "requirements.txt", TORCH_INSTALLED="2.13.0")
    assert done.returncode == 0, done.stderr
    assert checkout.installs() == ["--quiet -r FILE"]


def test_no_deps_files_install_without_dependencies(checkout):
    assert checkout.run("scripts/pip_install.sh", "python3", "--no-deps", "requirements-offline.txt").returncode == 0
    assert checkout.installs() == ["--quiet --no-deps -r FILE"]


# ---- scripts/setup.sh --------------------------------------------------------------------------------------------

def test_setup_checks_the_python_first_and_says_what_to_do(checkout):
    done = checkout.run("scripts/setup.sh", PY_TOO_OLD="1")
    assert done.returncode == 1
    assert "python3 is Python 3.10; the app needs Python 3.11 or newer" in done.stderr
    assert "PYTHON=/path/to/python3.12" in done.stderr
    assert checkout.installs() == [] and not (checkout.root / ".venv").exists()  # nothing made, nothing fetched


def test_setup_names_a_missing_python(checkout):
    missing = checkout.run("scripts/setup.sh", PYTHON="/nowhere/python3.12")
    assert missing.returncode == 1 and "/nowhere/python3.12 is no Python; the app needs Python 3.11" in missing.stderr


def test_setup_says_to_remake_a_venv_made_with_an_old_python(checkout):
    (checkout.root / ".venv" / "bin").mkdir(parents=True)
    shutil.copy2(checkout.root / "bin" / "python3", checkout.root / ".venv" / "bin" / "python")
    old = checkout.run("scripts/setup.sh", PY_TOO_OLD="1")
    assert old.returncode == 1 and "delete it (rm -rf .venv)" in old.stderr and checkout.installs() == []


def test_setup_installs_each_file_once(checkout):
    for _ in range(2):
        done = checkout.run("scripts/setup.sh", "--dev", WHEEL_ON_DISK="1")
        assert done.returncode == 0, done.stderr
    assert checkout.installs() == [
        "--quiet --upgrade pip",
        "--quiet --no-index --no-deps torch==2.13.0", "--quiet -r FILE",  # requirements.txt
        "--quiet --no-deps -r FILE",  # the offline pack's sources
        "--quiet -r FILE",  # requirements-dev.txt; the second run installs nothing
    ]
    assert CPU_INDEX not in checkout.log.read_text()
    (checkout.root / "requirements-dev.txt").write_text("pytest==9.2.0\n")
    assert checkout.run("scripts/setup.sh", "--dev", WHEEL_ON_DISK="1").returncode == 0
    assert checkout.installs()[-1:] == ["--quiet -r FILE"] and len(checkout.installs()) == 6  # only the changed file
