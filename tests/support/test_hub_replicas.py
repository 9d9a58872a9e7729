"""The replicas cover the registry and keep the real repos' layout: classes, labels, vocabularies, weights."""

from __future__ import annotations

import json

import pytest

from models.registry import REGISTRY
from tests.support import hub_replicas

# One replica of each layout: safetensors on main; only in PRs opened on main's head; in a PR on an older main.
SAMPLE = ["distilbert/distilbert-base-uncased-finetuned-sst-2-english", "sshleifer/distilbart-cnn-12-6",
          "Helsinki-NLP/opus-mt-en-de"]


@pytest.fixture(scope="module")
def repos(tmp_path_factory, settings, offline_pack) -> dict:
    folder = tmp_path_factory.mktemp("replicas")
    return {repo.repo_id: repo for repo in hub_replicas.build(folder, SAMPLE)}


def test_every_registry_checkpoint_and_explorer_tokenizer_has_a_replica():
    assert set(hub_replicas.registry_checkpoints()) == set(hub_replicas.REPLICAS)
    for spec in REGISTRY.values():
        for choice in spec.checkpoints:
            replica = hub_replicas.REPLICAS[choice]
            assert replica.source.startswith(hub_replicas.HF), choice  # every fact says where it comes from


def test_pull_request_only_checkpoints_are_the_known_ones():
    only_in_pulls = {hub_id: replica.pulls for hub_id, replica in hub_replicas.REPLICAS.items()
                     if not replica.safetensors_on_main}
    assert only_in_pulls == {
        "cardiffnlp/twitter-roberta-base-sentiment-latest": ((8, False), (10, True)),
        "sshleifer/distilbart-cnn-12-6": ((13, True), (18, True)),
        "Helsinki-NLP/opus-mt-en-de": ((4, False),),
        "Helsinki-NLP/opus-mt-en-fr": ((2, False), (5, True)),
        "Helsinki-NLP/opus-mt-en-ro": ((1, True),),
    }


def test_weights_are_on_main_or_only_in_the_conversion_pull_requests(repos):
    on_main = repos[SAMPLE[0]]
    assert {"model.safetensors", "pytorch_model.bin", "vocab.txt", "tokenizer_config.json"} <= set(on_main.head.tree)
    assert "tokenizer.json" not in on_main.head.tree and not on_main.pulls  # as on the Hub: vocab.txt only
    distilbart, opus = repos[SAMPLE[1]], repos[SAMPLE[2]]
    for repo in (distilbart, opus):
        assert "model.safetensors" not in repo.head.tree and "pytorch_model.bin" in repo.head.tree
        for pull in repo.pulls:
            assert "model.safetensors" in pull.commit.tree
            assert (pull.title, pull.author) == (hub_replicas.SF_TITLE, hub_replicas.SF_BOT)
    assert {p.num: p.commit.parent is distilbart.head for p in distilbart.pulls} == {13: True, 18: True}
    assert [p.commit.parent is opus.head for p in opus.pulls] == [False]  # opened on an older main


def test_config_json_has_the_real_class_labels_and_generation_settings(repos):
    config = json.loads(repos[SAMPLE[0]].head.tree["config.json"].path.read_text())
    assert config["architectures"] == ["DistilBertForSequenceClassification"]
    assert config["id2label"] == {"0": "NEGATIVE", "1": "POSITIVE"} and config["dim"] == 32  # tiny weights
    bart = json.loads(repos[SAMPLE[1]].head.tree["config.json"].path.read_text())
    assert (bart["prefix"], bart["num_beams"], bart["max_length"], bart["min_length"]) == (" ", 4, 142, 56)
    marian = json.loads(repos[SAMPLE[2]].head.tree["config.json"].path.read_text())
    vocab = json.loads(repos[SAMPLE[2]].head.tree["vocab.json"].path.read_text())
    assert marian["pad_token_id"] == marian["decoder_start_token_id"] == vocab["<pad>"] == len(vocab) - 1
    assert marian["bad_words_ids"] == [[vocab["<pad>"]]] and marian["vocab_size"] == len(vocab)
