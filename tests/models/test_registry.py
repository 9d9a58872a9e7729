"""The registry names real-looking Hub ids, binds each task's stand-in, caps and pipeline name, and pins only
its own checkpoints."""

import importlib
import re

import transformers

import config
from models import limits
from models.offline import ENTRIES
from models.registry import REGISTRY, REVISIONS, TOKENIZERS


def test_every_task_key_of_the_cli_is_registered():
    assert set(REGISTRY) == set(config.TASK_KEYS)


def test_entries_are_well_formed():
    for key, spec in REGISTRY.items():
        assert spec.key == key
        assert spec.checkpoints, key
        for checkpoint in spec.checkpoints:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+", checkpoint), checkpoint
        assert hasattr(transformers, spec.model_class), spec.model_class


def test_the_offline_pack_is_what_the_registry_declares():
    for spec in [*REGISTRY.values(), *TOKENIZERS.values()]:
        assert ENTRIES[spec.offline.name] is spec.offline  # one stand-in per name, shared where declared so
    for entry in ENTRIES.values():
        assert hasattr(transformers, entry.model_class)
        assert bool(entry.build) != bool(entry.shipped), entry.name  # built here, or shipped on PyPI
        module, _, function = (entry.build or entry.shipped).partition(":")
        assert callable(getattr(importlib.import_module(module), function)), entry.name


def test_each_tasks_caps_are_in_its_entry_and_keep_their_names_in_limits():
    declared = {name: value for spec in REGISTRY.values() for name, value in spec.limits.items()}
    assert len(declared) == sum(len(spec.limits) for spec in REGISTRY.values())  # no cap declared twice
    for name, value in declared.items():
        assert getattr(limits, name) == value, name
    assert limits.QA_CONTEXT_CHARS == REGISTRY["qa"].limits["QA_CONTEXT_CHARS"] == 20_000


def test_pipeline_task_names_for_deployment():
    assert {key: spec.hf_task for key, spec in REGISTRY.items() if spec.hf_task} == {
        "sentiment": "text-classification", "ner": "token-classification",
        "zero_shot": "zero-shot-classification", "fill_mask": "fill-mask", "generate": "text-generation",
        "qa": "question-answering", "summarize": "summarization", "translate": "translation_en_to_de",
    }


def test_revisions_are_pinned_only_for_registry_checkpoints_and_as_pull_requests():
    offered = {checkpoint for spec in REGISTRY.values() for checkpoint in spec.checkpoints}
    for checkpoint, revision in REVISIONS.items():
        assert checkpoint in offered, checkpoint
        assert re.fullmatch(r"refs/pr/\d+", revision), revision
    assert REVISIONS["sshleifer/distilbart-cnn-12-6"] == "refs/pr/18"


def test_hub_defaults_are_the_documented_checkpoints():
    assert REGISTRY["sentiment"].checkpoints[0] == "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    assert REGISTRY["ner"].checkpoints[0] == "dslim/bert-base-NER"
    assert REGISTRY["zero_shot"].checkpoints[0] == "facebook/bart-large-mnli"
    assert REGISTRY["fill_mask"].checkpoints[0] == "google-bert/bert-base-uncased"
    assert REGISTRY["generate"].checkpoints[0] == "openai-community/gpt2"
    assert REGISTRY["qa"].checkpoints[0] == "distilbert/distilbert-base-cased-distilled-squad"
    assert REGISTRY["summarize"].checkpoints[0] == "sshleifer/distilbart-cnn-12-6"
    assert REGISTRY["translate"].checkpoints[0] == "google-t5/t5-small"
