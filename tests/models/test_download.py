"""Downloads: progress in words, what is fetched, and the cache used with no request (this session is offline).

Downloading from a Hub is tested against the local Hub in tests/models/test_hub_profile.py.
"""

from __future__ import annotations

import pytest
from huggingface_hub import constants

from models import download
from models.errors import ModelUnavailable

MB = download.MB


@pytest.mark.parametrize(("done", "size", "said"), [
    (120 * MB, 498 * MB, "120 of 498 MB"), (int(3.2 * MB), int(6.4 * MB), "3.2 of 6.4 MB"),
    (512, 2048, "0.5 of 2.0 kB"), (100 * 1024, 200 * 1024, "100 of 200 kB")])
def test_amounts_are_said_in_the_unit_that_fits(done, size, said):
    assert download.amount(done, size) == said


def test_a_file_reports_its_progress_within_the_whole_download():
    messages = []
    bar = download._Progress("model.safetensors", 1 * MB, 4 * MB, lambda f, m: messages.append((f, m)),
                             total=3 * MB, initial=0, desc="model.safetensors", unit="B", unit_scale=True)
    with bar:
        bar.update(MB)
        bar.update(2 * MB)
    assert messages == [(0.5, "Downloading model.safetensors: 1.0 of 3.0 MB"),
                        (1.0, "Downloading model.safetensors: 3.0 of 3.0 MB")]


def test_only_configs_tokenizers_and_safetensors_are_fetched():
    wanted = download.patterns()
    assert "model.safetensors" in wanted and "tokenizer.json" in wanted and "config.json" in wanted
    assert not any(name.endswith((".bin", ".h5", ".msgpack", ".onnx")) for name in wanted)
    assert not set(download.WEIGHTS) & set(download.patterns(weights=False))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty Hugging Face cache for this test (the session's HF_HUB_OFFLINE=1 stays)."""
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    return tmp_path


def put_snapshot(cache, hub_id: str, files: list[str], commit: str = "a" * 40):
    """A snapshot as huggingface_hub lays it out (refs/main -> snapshots/<commit>/...), without a file listing."""
    storage = cache / f"models--{hub_id.replace('/', '--')}"
    (storage / "refs").mkdir(parents=True)
    (storage / "refs" / "main").write_text(commit)
    for name in files:
        path = storage / "snapshots" / commit / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    return storage / "snapshots" / commit


def test_offline_a_cached_snapshot_is_used_and_nothing_is_asked(cache):
    assert constants.HF_HUB_OFFLINE  # the socket guard would also fail any request
    folder = put_snapshot(cache, "org/model", ["config.json", "model.safetensors", "vocab.txt"])
    assert download.fetch("org/model") == folder


def test_offline_a_missing_model_fails_with_what_to_do(cache):
    put_snapshot(cache, "org/bin-only", ["config.json", "pytorch_model.bin"])  # no safetensors: not usable
    for hub_id in ("org/never-downloaded", "org/bin-only"):
        with pytest.raises(ModelUnavailable, match="not in this machine's Hugging Face cache and HF_HUB_OFFLINE"):
            download.fetch(hub_id)


def test_a_tokenizer_alone_needs_no_weights(cache):
    folder = put_snapshot(cache, "org/tokenizer", ["config.json", "tokenizer.json"])
    assert download.fetch("org/tokenizer", weights=False) == folder
    with pytest.raises(ModelUnavailable):
        download.fetch("org/tokenizer")
