"""Settings: the one module that reads the command line and the environment."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

PROFILES = ("auto", "hub", "offline")
TASK_KEYS = (
    "sentiment", "ner", "zero_shot", "qa", "summarize", "translate",
    "fill_mask", "generate", "encoder", "finetune",
)


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
    memory_budget_mb: int = 6144
    queue_size: int = 64
    hub_offline: bool = False
    time_budget_s: float = 300.0  # one request's handler; past it the caller gets a timeout and the slot is freed
    auth: str = field(default="", repr=False)  # "user:password" (PLAYGROUND_AUTH); a secret: never in repr or logs


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
    return parser


def load_settings(argv: list[str] | None = None, environ: dict | None = None) -> Settings:
    """Settings from the command line (argv=None reads no CLI) and the environment."""
    environ = os.environ if environ is None else environ
    args = build_parser(environ).parse_args([] if argv is None else argv)
    if args.models not in PROFILES:
        raise SystemExit(f"PLAYGROUND_MODELS must be one of {', '.join(PROFILES)}")
    overrides = {**_env_overrides(environ), **_parse_model_pairs(args.model)}
    return Settings(
        host=args.host,
        port=args.port,
        share=args.share,
        root_path=args.root_path,
        profile=args.models,
        model_overrides=overrides,
        cache_dir=_default_cache_dir(environ),
        memory_budget_mb=int(environ.get("PLAYGROUND_MEMORY_BUDGET_MB", 6144)),
        queue_size=int(environ.get("PLAYGROUND_QUEUE_SIZE", 64)),
        hub_offline=environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"),
        time_budget_s=float(environ.get("PLAYGROUND_TIME_BUDGET_S", 300)),
        auth=_auth(environ.get("PLAYGROUND_AUTH", "")),
    )


def _auth(value: str) -> str:
    user, sep, password = value.strip().partition(":")
    if value.strip() and not (sep and user and password):
        raise SystemExit("PLAYGROUND_AUTH must be USER:PASSWORD (both non-empty)")  # never echo the value
    return value.strip()


_current: Settings | None = None


def current() -> Settings:
    """The settings in force: those set by `use`, else read from the environment once."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def use(settings: Settings) -> None:
    """Make `settings` the ones in force (app start-up and tests)."""
    global _current
    _current = settings
