"""On a GPU (a GPU Space, a SageMaker GPU notebook): the tasks answer on CUDA as they do on the CPU, and Show code,
which then loads the model on 'cuda', prints what the tab returned. Skipped where torch sees no GPU (this
project's CI and development machines); tests/models/test_device.py checks the device logic everywhere."""

from __future__ import annotations

import dataclasses
import json
from functools import partial

import pytest

import config
from models import loader
from models.tasks import fill_mask, generate, ner, qa, sentiment, translate
from tests.support import snippets

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU that torch can use")

GREEDY = generate.GenerationSettings.checked(12, 1.0, 50, 1.0, False, 1, 0)


def last_json(printed: str) -> object:
    return json.loads(printed.strip().splitlines()[-1])


# (name, task function, its code() function, the inputs, what the code printed -> what the task returned): models
# of every kind (encoder pipelines, a reference module, greedy generation, seq2seq).
CASES = [
    ("sentiment", sentiment.classify, sentiment.code, ("I loved every minute of it.",), last_json),
    ("ner", ner.extract, ner.code, ("Angela Merkel met Emmanuel Macron in Paris.",), last_json),
    ("fill_mask", fill_mask.fill, fill_mask.code, ("Paris is the [MASK] of France.", 3), last_json),
    ("qa", qa.answer, qa.code, ("Where did she go?", "She went to Paris in May."), last_json),
    # generation's code prints [the first text, all texts]
    ("generate", generate.generate, generate.code, ("Once upon a time", GREEDY), lambda out: last_json(out)[1]),
    # translation's prints the text itself
    ("translate", partial(translate.translate, max_new_tokens=6), partial(translate.code, max_new_tokens=6),
     ("The house is small.", "German"), lambda out: out.removesuffix("\n")),
]
# float32 on both: kernels differ between the devices, so sums differ in their last bits.
ACROSS_DEVICES = 1e-3


def run_on(settings: config.Settings, device: str) -> list:
    """Each case's result, as JSON carries it, with the models loaded afresh on `device` in float32."""
    import state

    state.reset()
    config.use(dataclasses.replace(settings, device=device, dtype="float32"))
    return [json.loads(json.dumps(task(*inputs))) for _, task, _, inputs, _ in CASES]


def test_every_kind_of_task_answers_on_the_gpu_as_on_the_cpu(fresh_state, settings, offline_pack):
    on_cpu = run_on(settings, "cpu")
    on_gpu = run_on(settings, "cuda")
    assert loader.get("sentiment").model.device.type == "cuda"
    for (name, *_), gpu, cpu in zip(CASES, on_gpu, on_cpu):
        snippets.assert_same(gpu, cpu, ACROSS_DEVICES, name)


def test_show_code_on_the_gpu_prints_what_the_tab_returned(fresh_state, settings, offline_pack):
    expected = run_on(settings, "cuda")
    codes = [code(*inputs) for _, _, code, inputs, _ in CASES]
    assert all("cuda" in code for code in codes)
    for (name, *_, read), out, want in zip(CASES, snippets.run(codes), expected):
        snippets.assert_same(read(out), want, 1e-4, name)


def test_auto_dtype_on_the_gpu_is_bf16_where_it_computes_it(fresh_state, settings, offline_pack):
    config.use(dataclasses.replace(settings, device="auto", dtype="auto"))
    expected = "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    assert loader.resolve("sentiment").dtype == expected
    assert loader.get("sentiment").model.dtype == getattr(torch, expected)
    assert set(sentiment.classify("Nice.")) == set(loader.get("sentiment").model.config.id2label.values())
