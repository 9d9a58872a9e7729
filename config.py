"""Settings: the one module that reads the command line and the environment."""

from __future__ import annotations

import argparse
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

import state
from models.registry import REGISTRY

PROFILES = ("auto", "hub", "offline")
TASK_KEYS = tuple(REGISTRY)
# auto: each task's fast dtype (registry) where the CPU computes it natively, else float32; float32: every
# model in float32; bfloat16: every served model in bfloat16 (refused where the CPU lacks native bf16).
DTYPES = ("auto", "float32", "bfloat16")
# What the app itself needs beside its models: Python, gradio, torch and transformers take ~0.5 GB once imported
# (measured), plus activations, sessions and a load's transient copies.
APP_RESERVE_MB = 1024
MODEL_SHARE = 0.75  # of the machine's memory (or its container's limit) that the app may use at all
MIN_MEMORY_BUDGET_MB = 256
CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")  # v2, v1


@dataclass(frozen=True)
class Settings:
    """Everything an operator can set, with the defaults a fresh clone runs on."""

    host: str = "127.0.0.1"
    port: int = 7860
    share: bool = False
    root_path: str = ""
    profile: str = "auto"
    model_overrides: dict[str, str] = field(default_factory=dict)
    cache_dir: Path = Path.home() / ".cache" / "transformers-playground"
    memory_budget_mb: int = field(default_factory=lambda: default_memory_budget_mb(machine_memory_mb()))
    queue_size: int = 64
    hub_offline: bool = False
    time_budget_s: float = 300.0  # one request's handler; past it the caller gets a timeout and the slot is freed
    auth: str = field(default="", repr=False)  # "user:password" (PLAYGROUND_AUTH); a secret: never in repr or logs
    dtype: str = "auto"  # one of DTYPES (PLAYGROUND_DTYPE, --dtype)
    # Whether this CPU computes bf16 natively (AMX or AVX512-BF16): read from /proc/cpuinfo unless
    # PLAYGROUND_CPU_BF16 says (tests force both answers on any machine).
    native_bf16: bool = field(default_factory=lambda: cpu_has_native_bf16())
    # One "My model" for everyone (PLAYGROUND_SHARED_MY_MODEL=1: a private server, a class sharing one model);
    # by default each session (browser tab, gradio_client) trains and sees its own.
    shared_my_model: bool = False


def _default_cache_dir(environ: os._Environ | dict) -> Path:
    if environ.get("PLAYGROUND_CACHE_DIR"):
        return Path(environ["PLAYGROUND_CACHE_DIR"]).expanduser()
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "transformers-playground"


def _parse_model_pairs(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        task, sep, value = pair.partition("=")
        task = task.strip().lower()
        if not sep or not value.strip():
            raise SystemExit(f"--model expects TASK=ID_OR_PATH, got {pair!r}")
        if task not in TASK_KEYS:
            raise SystemExit(f"--model: unknown task {task!r}; use one of {', '.join(TASK_KEYS)}")
        overrides[task] = value.strip()
    return overrides


def _env_overrides(environ: os._Environ | dict) -> dict[str, str]:
    found = {}
    for task in TASK_KEYS:
        value = environ.get(f"PLAYGROUND_MODEL_{task.upper()}", "").strip()
        if value:
            found[task] = value
    return found


def build_parser(environ: os._Environ | dict) -> argparse.ArgumentParser:
    """The CLI of docs/api.md; defaults come from gradio's own variables, then 127.0.0.1:7860."""
    parser = argparse.ArgumentParser(description="Transformers Playground")
    parser.add_argument("--host", default=environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--share", action="store_true", help="create a public gradio share link")
    parser.add_argument("--root-path", default=environ.get("GRADIO_ROOT_PATH", ""))
    parser.add_argument("--models", choices=PROFILES, default=environ.get("PLAYGROUND_MODELS", "auto"))
    parser.add_argument("--model", action="append", default=[], metavar="TASK=ID_OR_PATH")
    parser.add_argument("--dtype", choices=DTYPES, default=environ.get("PLAYGROUND_DTYPE", "auto"),
                        help="weights' dtype: auto (bf16 where the CPU has it natively), float32 or bfloat16")
    return parser


def load_settings(argv: list[str] | None = None, environ: dict | None = None) -> Settings:
    """Settings from the command line (argv=None reads no CLI) and the environment."""
    environ = os.environ if environ is None else environ
    args = build_parser(environ).parse_args([] if argv is None else argv)
    if args.models not in PROFILES:
        raise SystemExit(f"PLAYGROUND_MODELS must be one of {', '.join(PROFILES)}")
    overrides = {**_env_overrides(environ), **_parse_model_pairs(args.model)}
    native_bf16 = _flag(environ, "PLAYGROUND_CPU_BF16", cpu_has_native_bf16)
    _check_dtype(args.dtype, native_bf16)
    return Settings(
        host=args.host,
        port=args.port,
        share=args.share,
        root_path=args.root_path,
        profile=args.models,
        model_overrides=overrides,
        cache_dir=_default_cache_dir(environ),
        memory_budget_mb=_memory_budget_mb(environ),
        queue_size=int(environ.get("PLAYGROUND_QUEUE_SIZE", 64)),
        hub_offline=environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"),
        time_budget_s=float(environ.get("PLAYGROUND_TIME_BUDGET_S", 300)),
        auth=_auth(environ.get("PLAYGROUND_AUTH", "")),
        dtype=args.dtype,
        native_bf16=native_bf16,
        shared_my_model=_flag(environ, "PLAYGROUND_SHARED_MY_MODEL", lambda: False),
    )


def _auth(value: str) -> str:
    user, sep, password = value.strip().partition(":")
    if value.strip() and not (sep and user and password):
        raise SystemExit("PLAYGROUND_AUTH must be USER:PASSWORD (both non-empty)")  # never echo the value
    return value.strip()


def _check_dtype(dtype: str, native_bf16: bool) -> None:
    if dtype not in DTYPES:  # PLAYGROUND_DTYPE bypasses argparse's choices (it is the default)
        raise SystemExit(f"PLAYGROUND_DTYPE must be one of {', '.join(DTYPES)}; got {dtype!r}")
    if dtype == "bfloat16" and not native_bf16:
        raise SystemExit("PLAYGROUND_DTYPE=bfloat16 needs a CPU that computes bf16 natively (AMX or AVX512-BF16: "
                         "amx_bf16 or avx512_bf16 in /proc/cpuinfo); this one does not, and emulated bf16 is "
                         "slower than float32. Use PLAYGROUND_DTYPE=auto or float32.")


def _flag(environ: os._Environ | dict, name: str, otherwise) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return otherwise()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise SystemExit(f"{name} must be 1 or 0 (or unset to detect); got {value!r}")


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether /proc/cpuinfo lists AMX-BF16 or AVX512-BF16 (False where there is no /proc/cpuinfo)."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:
        return False
    return bool({"amx_bf16", "avx512_bf16"} & set(flags))


def machine_memory_mb(cgroup_limits: tuple[str, ...] = CGROUP_LIMITS) -> int:
    """The memory this process may use: the machine's RAM, or its container's limit (cgroup) if lower."""
    limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in cgroup_limits:
        try:
            value = Path(path).read_text().strip()
        except OSError:
            continue
        if value.isdigit():  # "max" (v2) means no limit; v1 writes a huge number instead
            limit = min(limit, int(value))
    return limit >> 20


def default_memory_budget_mb(total_mb: int) -> int:
    """Bytes of model weights (in MB) the loader keeps on a machine with `total_mb` of memory: a share of it
    minus what the app itself needs (4 GiB: ~1.9 GB, so bart-large-mnli and distilbart are never both in)."""
    return max(MIN_MEMORY_BUDGET_MB, int(total_mb * MODEL_SHARE) - APP_RESERVE_MB)


def _memory_budget_mb(environ: os._Environ | dict) -> int:
    value = environ.get("PLAYGROUND_MEMORY_BUDGET_MB", "").strip()
    if not value:
        return default_memory_budget_mb(machine_memory_mb())
    if not value.isdigit() or int(value) == 0:
        raise SystemExit(f"PLAYGROUND_MEMORY_BUDGET_MB must be a whole number of megabytes; got {value!r}")
    return int(value)


def current() -> Settings:
    """The settings in force: those set by `use`, else read from the environment once."""
    if state.settings is None:
        state.settings = load_settings()
    return state.settings


def use(settings: Settings) -> None:
    """Make `settings` the ones in force (app start-up and tests)."""
    state.settings = settings
