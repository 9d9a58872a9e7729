"""The registry names real-looking Hub ids and an offline stand-in that exists for every task."""

import re

import transformers

import config
from models.offline import ENTRIES
from models.registry import REGISTRY


def test_every_task_key_of_the_cli_is_registered():
    assert set(REGISTRY) == set(config.TASK_KEYS)


def test_entries_are_well_formed():
    for key, spec in REGISTRY.items():
        assert spec.key == key
        assert spec.checkpoints, key
        for checkpoint in spec.checkpoints:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+", checkpoint), checkpoint
        assert hasattr(transformers, spec.model_class), spec.model_class


def test_offline_stand_ins_exist_or_are_declared():
    for spec in REGISTRY.values():
        if spec.offline in ENTRIES:
            assert hasattr(transformers, ENTRIES[spec.offline].model_class)


def test_hub_defaults_are_the_documented_checkpoints():
    assert REGISTRY["sentiment"].checkpoints[0] == "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    assert REGISTRY["ner"].checkpoints[0] == "dslim/bert-base-NER"
    assert REGISTRY["zero_shot"].checkpoints[0] == "facebook/bart-large-mnli"
    assert REGISTRY["fill_mask"].checkpoints[0] == "google-bert/bert-base-uncased"
    assert REGISTRY["generate"].checkpoints[0] == "openai-community/gpt2"
    assert REGISTRY["qa"].checkpoints[0] == "distilbert/distilbert-base-cased-distilled-squad"
    assert REGISTRY["summarize"].checkpoints[0] == "sshleifer/distilbart-cnn-12-6"
    assert REGISTRY["translate"].checkpoints[0] == "google-t5/t5-small"
