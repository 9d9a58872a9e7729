"""The weights' dtype: auto (a task's fast dtype where the CPU computes it natively), or forced for every model;
Show code loads the model the same way."""

import pytest

from models import loader
from models.tasks import sentiment

TASKS = ("sentiment", "generate", "encoder", "qa")



def dtypes() -> dict[str, str]:
    return {task: loader.resolve(task).dtype for task in TASKS}


def test_auto_without_native_bf16_is_float32_everywhere(use):
    use(dtype="auto", native_bf16=False)
    assert set(dtypes().values()) == {"float32"}
    assert "dtype" not in sentiment.code("Nice.")


def test_auto_with_native_bf16_gives_the_tasks_that_ask_for_it_bf16(use):
    import torch

    use(dtype="auto", native_bf16=True)
    assert dtypes() == {"sentiment": "bfloat16", "generate": "bfloat16", "encoder": "float32", "qa": "float32"}
    assert next(loader.get("sentiment").model.parameters()).dtype == torch.bfloat16
    assert next(loader.get("encoder").model.parameters()).dtype == torch.float32  # shown attentions stay exact
    scores = sentiment.classify("What a wonderful, warm and funny film.")
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert "dtype='bfloat16'" in sentiment.code("Nice.")  # the snippet loads the model as the app does


def test_float32_forced_on_a_bf16_cpu(use):
    import torch

    use(dtype="float32", native_bf16=True)
    assert set(dtypes().values()) == {"float32"}
    assert next(loader.get("sentiment").model.parameters()).dtype == torch.float32
    assert "dtype" not in sentiment.code("Nice.")


def test_bfloat16_forced_loads_every_model_in_bf16(use):
    import torch

    use(dtype="bfloat16", native_bf16=True)
    assert set(dtypes().values()) == {"bfloat16"}
    assert next(loader.get("encoder").model.parameters()).dtype == torch.bfloat16
    assert loader.resolve("encoder").from_pretrained_args == ", dtype='bfloat16', attn_implementation='eager'"


@pytest.mark.parametrize("task", ["sentiment", "ner", "fill_mask", "generate", "qa", "summarize", "translate",
                                  "encoder"])
def test_weights_read_straight_into_bf16_equal_transformers_own_load(use, task):
    """The loader reads the weights into bf16 a tensor at a time (no float32 copy of them all in memory on the way):
    the model is the one from_pretrained(folder, dtype=bf16) gives, tensor for tensor, settings and all."""
    import torch

    use(dtype="bfloat16", native_bf16=True)
    loaded, resolved = loader.get(task).model, loader.resolve(task)
    auto_class = loader.transformers_attr(resolved.model_class)
    plain = auto_class.from_pretrained(loader.local_folder(resolved), dtype=torch.bfloat16, **{
        k: v for k, v in resolved.load_kwargs.items() if k != "dtype"}).eval()
    assert type(loaded) is type(plain)
    ours, theirs = loaded.state_dict(), plain.state_dict()
    assert list(ours) == list(theirs)
    for key, tensor in theirs.items():
        assert ours[key].dtype == tensor.dtype and torch.equal(ours[key], tensor), key
    assert loaded.config.to_dict() == plain.config.to_dict()
    assert getattr(loaded, "generation_config", None) == getattr(plain, "generation_config", None)
    assert next(loaded.parameters()).dtype == torch.bfloat16
