"""The Hub as the auto profile finds it: HF_ENDPOINT's own scheme, host and port, asked over HTTP; a Hub that did
not answer asked again after a while (the downloads themselves: tests/models/test_hub_profile.py).

huggingface_hub reads HF_ENDPOINT when it is imported, and this test session runs offline: each case runs in a
fresh process with the Hub stand-in (tests/support/hub_stub.py) on 127.0.0.1, the socket guard still on.
"""

import json
import os
import subprocess
import sys

SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
PREAMBLE = """
import json, os, socket, sys, time
from tests.support.hub_stub import StubHub
"""


def run(script: str, tmp_path, profile: str = "auto") -> dict:
    """What `script` printed last, as JSON; it runs in a process online to loopback only."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_HOME=str(tmp_path / "hf-home"), PLAYGROUND_MODELS=profile)
    done = subprocess.run([sys.executable, "-c", PREAMBLE + script], capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_probe_asks_hf_endpoint_itself_for_the_pinned_revision(tmp_path):
    # Plain http on a port of its own: the old probe dialled port 443 of the host and fell back to offline.
    result = run("""
hub = StubHub({"sshleifer/distilbart-cnn-12-6": {"config.json": b"{}"}}).start()
os.environ["HF_ENDPOINT"] = hub.url  # before huggingface_hub is imported, as for any user of a mirror
import config
config.use(config.load_settings([]))
from models import loader
resolved = loader.resolve("summarize")
print(json.dumps({"source": resolved.source, "revision": resolved.revision, "asked": hub.requests}))
""", tmp_path)
    assert result["source"] == "hub" and result["revision"] == "refs/pr/18"
    assert "HEAD /sshleifer/distilbart-cnn-12-6/resolve/refs%2Fpr%2F18/config.json" in result["asked"]


def test_a_hub_that_did_not_answer_is_asked_again_after_a_while_not_before(tmp_path):
    result = run(f"""
with socket.socket() as sock:  # a port nothing listens on: the Hub is down
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
hub = StubHub({{{SST2!r}: {{"config.json": b"{{}}"}}}}, port=port)
os.environ["HF_ENDPOINT"] = hub.url
import config
config.use(config.load_settings([]))
from models import loader
loader.HUB_RETRY_S = 1.0  # 60 s in the app
down = loader.resolve("sentiment").source
hub.start()  # back up, on the same port
within = loader.resolve("sentiment").source
asked_within = len(hub.requests)
time.sleep(1.5)
after = loader.resolve("sentiment").source
print(json.dumps({{"down": down, "within": within, "asked_within": asked_within, "after": after}}))
""", tmp_path)
    assert result == {"down": "offline", "within": "offline", "asked_within": 0, "after": "hub"}
