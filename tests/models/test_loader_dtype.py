"""The fast dtype: bf16 weights only where the CPU computes bf16 natively, decided per task."""

import pytest

from models import loader
from models.tasks import sentiment


@pytest.fixture
def bf16_cpu(monkeypatch, settings, offline_pack):
    """Pretend this CPU has AMX / AVX512-BF16."""
    loader.clear()
    monkeypatch.setattr(loader, "native_dtypes", lambda: frozenset({"bfloat16"}))
    yield
    loader.clear()


def test_without_native_bf16_everything_is_float32(settings, offline_pack, monkeypatch):
    monkeypatch.setattr(loader, "native_dtypes", lambda: frozenset())
    assert {loader.resolve(task).dtype for task in ("sentiment", "generate", "encoder")} == {"float32"}
    assert "dtype" not in sentiment.code("Nice.")


def test_with_native_bf16_the_tasks_that_ask_for_it_load_in_bf16(bf16_cpu):
    import torch

    assert loader.resolve("sentiment").dtype == "bfloat16"
    assert loader.resolve("generate").dtype == "bfloat16"
    assert loader.resolve("encoder").dtype == "float32"  # shown attentions and fine-tuning stay exact
    assert next(loader.get("sentiment").model.parameters()).dtype == torch.bfloat16
    assert next(loader.get("encoder").model.parameters()).dtype == torch.float32
    scores = sentiment.classify("What a wonderful, warm and funny film.")
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert "dtype='bfloat16'" in sentiment.code("Nice.")  # the snippet loads the model as the app does
