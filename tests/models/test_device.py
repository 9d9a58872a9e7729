"""Where models run: the GPU where torch sees one (PLAYGROUND_DEVICE=auto), or forced; the dtype the device computes;
Show code loads the model on the same device. What can be checked without a GPU (the GPU's answers are stood in for
by replacing config.cuda_available and config.cuda_bf16); tests/test_gpu.py runs the tasks on a real one."""

from __future__ import annotations

import pytest

import config
from models import loader
from models.tasks import finetune, generate, qa, sentiment, why_common

CUDA_ONLY = ("device='cuda'", ".to('cuda')")


def gpu(monkeypatch, present: bool = True, bf16: bool = True) -> None:
    """Make torch appear to see a GPU (or none), with or without bf16."""
    monkeypatch.setattr(config, "cuda_available", lambda: present)
    monkeypatch.setattr(config, "cuda_bf16", lambda: bf16)


# ---- the setting --------------------------------------------------------------------------------------------------

def test_the_device_comes_from_the_cli_or_the_environment(monkeypatch):
    gpu(monkeypatch)
    assert config.load_settings([], {}).device == "auto"
    assert config.load_settings([], {"PLAYGROUND_DEVICE": "cpu"}).device == "cpu"
    assert config.load_settings(["--device", "cuda"], {"PLAYGROUND_DEVICE": "cpu"}).device == "cuda"
    with pytest.raises(SystemExit, match="PLAYGROUND_DEVICE must be one of auto, cpu, cuda"):
        config.load_settings([], {"PLAYGROUND_DEVICE": "gpu"})


def test_cuda_where_torch_sees_no_gpu_is_refused_at_start_saying_why(monkeypatch):
    gpu(monkeypatch, present=False)
    with pytest.raises(SystemExit) as refused:
        config.load_settings([], {"PLAYGROUND_DEVICE": "cuda"})
    message = str(refused.value)
    assert "needs a GPU that torch can use" in message and "Use PLAYGROUND_DEVICE=auto or cpu" in message
    import torch

    if torch.version.cuda is None:  # this machine's CPU build: the message says where it came from
        assert "the CPU build, which requirements.txt installs from the PyTorch CPU index" in message
    assert config.load_settings([], {"PLAYGROUND_DEVICE": "auto"}).device == "auto"  # auto is never refused


def test_bfloat16_follows_the_device_that_computes(monkeypatch):
    gpu(monkeypatch, bf16=False)  # a T4 or V100 on a CPU with native bf16
    with pytest.raises(SystemExit, match="needs a GPU that computes bf16"):
        config.load_settings([], {"PLAYGROUND_DTYPE": "bfloat16", "PLAYGROUND_CPU_BF16": "1"})
    forced_cpu = config.load_settings(["--device", "cpu", "--dtype", "bfloat16"], {"PLAYGROUND_CPU_BF16": "1"})
    assert (forced_cpu.device, forced_cpu.dtype) == ("cpu", "bfloat16")  # the CPU computes it: accepted
    gpu(monkeypatch, bf16=True)  # an A10G or newer, on a CPU without native bf16
    assert config.load_settings([], {"PLAYGROUND_DTYPE": "bfloat16", "PLAYGROUND_CPU_BF16": "0"}).dtype == "bfloat16"


# ---- the loader ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("setting, present, where", [
    ("auto", False, "cpu"), ("auto", True, "cuda"), ("cpu", True, "cpu"), ("cuda", True, "cuda")])
def test_auto_is_the_gpu_where_torch_sees_one(use, monkeypatch, setting, present, where):
    gpu(monkeypatch, present)
    use(device=setting)
    assert loader.device() == where
    assert loader.resolve("sentiment").device == where and loader.resolve("sentiment").cache_key[3] == where


@pytest.mark.parametrize("bf16, native_cpu, fast", [(True, False, "bfloat16"), (False, True, "float32")])
def test_auto_dtype_is_what_the_gpu_computes_not_the_cpu(use, monkeypatch, bf16, native_cpu, fast):
    gpu(monkeypatch, bf16=bf16)
    use(device="cuda", dtype="auto", native_bf16=native_cpu)
    assert {task: loader.resolve(task).dtype for task in ("sentiment", "generate", "qa")} == {
        "sentiment": fast, "generate": fast, "qa": "float32"}


def test_a_loaded_model_and_its_pipelines_are_on_the_device(use, monkeypatch):
    use(device="cpu")
    loaded = loader.get("ner")
    assert loaded.model.device.type == "cpu"
    assert loaded.pipeline("token-classification").device == loaded.model.device
    # Another device: the meta device stands in for a GPU (no weights are copied); the loader moves the model there.
    monkeypatch.setattr(loader, "device", lambda: "meta")
    moved = loader.get("ner")
    assert moved is not loaded and moved.resolved.cache_key[3] == "meta"
    assert {tensor.device.type for tensor in moved.model.parameters()} == {"meta"}


# ---- Show code ----------------------------------------------------------------------------------------------------

def snippets_of_every_kind() -> dict[str, str]:
    """A pipeline snippet, a reference module's, generation's, a Why? view's and both trainings'."""
    settings = generate.GenerationSettings.checked(8, 1.0, 50, 1.0, False, 1, 0)
    return {
        "pipeline": sentiment.code("Nice."),
        "reference module": qa.code("Where?", "In Paris."),
        "generation": generate.code("Once upon a time", settings),
        "generation's attention": generate.attention_code("Once upon a time", settings),
        "generation compared": generate.compare_code("Once upon a time", settings),
        "why": why_common.load_code(why_common.resolve("fill_mask", None)),
        "classifier training": finetune.classifier_code("", 1, 2e-4, 8),
        "lm training": finetune.lm_code("", 2),
    }


def test_show_code_names_the_gpu_where_the_app_runs_there(use, monkeypatch):
    gpu(monkeypatch)
    use(device="cuda", dtype="float32")
    code = snippets_of_every_kind()
    assert "device='cuda'" in code["pipeline"] and "device='cuda'" in code["classifier training"]
    for kind in ("reference module", "generation", "generation's attention", "generation compared", "why",
                 "lm training"):
        assert ".to('cuda').eval()" in code[kind], kind
    for kind in ("generation", "generation compared"):  # the inputs follow the model
        assert 'return_tensors="pt").to(model.device)' in code[kind], kind


def test_show_code_on_the_cpu_names_no_device(use):
    use(device="cpu")
    for kind, code in snippets_of_every_kind().items():
        assert not any(marker in code for marker in CUDA_ONLY), kind
