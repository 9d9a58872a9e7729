"""Transformers Playground: composes the tabs into one gr.Blocks app and launches it."""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no phoning home, before gradio loads
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# Before torch loads (lazily, on first use): gradio runs handlers in many threads, and torch gives each one its
# own OpenMP team; with the default (active) wait, idle teams spin on the cores the busy one needs. Measured on
# 2 cores: GPT-2 generate in a worker thread 6.2-6.9 s by default, 3.0 s passive (docs/performance.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Before gradio makes the queue: it records every event for the monitoring dashboard (off here) and, after each one,
# builds a pandas DataFrame of the last 10,000 records to summarise them: CPU and memory that grew with every
# request (4% of a /sentiment call's samples early on). Keep one record, and never summarise.
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1")
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(2**62))

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

import config  # noqa: E402
from cloud import sagemaker  # noqa: E402
from models import limits, offline, remote  # noqa: E402
from serving import bridge, guards, payload, sessions  # noqa: E402
from tabs import TABS, _common  # noqa: E402

INTRO = """# 🤗 Transformers Playground
See, poke at and script what makes a transformer work: tokens, positions, attention, and every
classic task. Each tab says what happens, which model runs it, and shows the code to do it yourself."""


def register_backends() -> None:
    """Give the model layer its cloud backends: `--model TASK=sagemaker:NAME` is served by a SageMaker endpoint."""
    remote.register(remote.SAGEMAKER_PREFIX, sagemaker.Endpoint)


def build_demo(settings: config.Settings | None = None) -> gr.Blocks:
    """The whole app as gr.Blocks, with the queue configured and the cloud backends registered; loads no model."""
    if settings is not None:
        config.use(settings)
    register_backends()
    settings = config.current()
    # delete_cache: uploads (and any file gradio keeps for this app) older than an hour go, swept every 10 minutes.
    with gr.Blocks(title="Transformers Playground", delete_cache=limits.UPLOAD_SWEEP) as demo:
        gr.Markdown(INTRO)
        with gr.Tabs():
            for tab in TABS:
                with gr.Tab(tab.TITLE, id=tab.__name__.rsplit(".", 1)[-1]):  # its module's name: links select it
                    tab.build()
        _common.open_links(demo)  # ?open=<endpoint>&<input>=...: a link fills a view's inputs (and runs it)
    # Bounded queue, and no REST route that skips it (api_open=False): the caps hold for everyone.
    demo.queue(max_size=settings.queue_size, api_open=False, default_concurrency_limit=1)
    guards.seal(demo, _common.helper)  # every event a client can reach is guarded, "private" ones included
    guards.check_values(demo)  # a value its input cannot take: a gr.Error naming the input, no traceback
    payload.refuse_malformed_payloads(demo)  # a payload gradio cannot read: a clear gr.Error, not a blank one
    return demo


def _auth(settings: config.Settings) -> tuple[str, str] | None:
    """Login for the app: PLAYGROUND_AUTH if set; with --share and none set, a random password printed once."""
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        return user, password
    if not settings.share:
        return None
    password = secrets.token_urlsafe(12)
    # Printed once, to the operator's terminal only (never logged): a public link must not be open to all.
    print(f"Share link login: user 'playground', password '{password}' (set PLAYGROUND_AUTH=user:password "
          "to choose your own).", flush=True)
    return "playground", password


def launch(demo: gr.Blocks, settings: config.Settings, **extra) -> tuple:
    """Launch with the security defaults in one place; `extra` is for tests (prevent_thread_lock)."""
    return demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share,  # explicit: gradio turns share on by itself on SageMaker notebooks
        root_path=settings.root_path or None,
        auth=_auth(settings),
        show_error=False,  # our own gr.Error messages only; tracebacks stay in the log
        max_file_size=guards.UPLOAD_FILE_BYTES,  # the cap the upload guard states (5 MB)
        enable_monitoring=False,
        allowed_paths=[],
        state_session_capacity=limits.SESSIONS_KEPT,  # each session keeps its inputs in memory
        run_history=False,  # no run records kept, and no page that uploads them to a Hub bucket
        mcp_server=False,  # no second way in: the endpoints are the API of docs/api.md, through the queue
        ssr_mode=False,
        strict_cors=True,
        app_kwargs={
            # At start-up: sessions built on demand, unread results that expire (serving/sessions.py).
            "lifespan": sessions.lifespan,
            "middleware": [Middleware(guards.Requests)],  # clear 4xx where gradio would answer a bare 500
        },
        **extra,
    )


def prepare_offline_pack(settings: config.Settings) -> threading.Event | None:
    """Offline (`--models offline`, or HF_HUB_OFFLINE=1), build what the offline pack lacks on a serving thread from
    the start, with a line per model, so the first click builds and trains nothing (./run.sh builds the pack at
    set-up; `python app.py` may come first). A request for a model still being built waits for it, not twice.
    Returns an event set when the build has ended (None: nothing to build)."""
    if settings.profile != "offline" and not settings.hub_offline:
        return None
    if all(offline.is_built(name) for name in offline.ENTRIES):
        return None
    done = threading.Event()

    def build() -> None:
        try:
            offline.build_all(progress=lambda line: print(f"{line} (in the background)", flush=True))
        except Exception:  # a request that needs the model builds it again and says what went wrong
            logging.getLogger(__name__).exception("building the offline pack failed")
        finally:
            done.set()

    bridge.submit(build)
    return done


def main(argv: list[str] | None = None) -> None:
    settings = config.load_settings(sys.argv[1:] if argv is None else argv)
    demo = build_demo(settings)
    prepare_offline_pack(settings)
    launch(demo, settings)


if __name__ == "__main__":
    main()
else:  # `gradio app.py` and Hugging Face Spaces import the module and look for `demo`
    demo = build_demo()
