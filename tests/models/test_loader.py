"""The loader: registry-only choices, one copy per checkpoint, LRU eviction, failures that stay local."""

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

import config
from models import loader
from models.errors import InputError, ModelUnavailable


@pytest.fixture
def fresh_loader(settings, offline_pack):
    loader.clear()
    yield
    config.use(settings)
    loader.clear()


def with_settings(settings, **changes) -> None:
    config.use(config.Settings(**{**settings.__dict__, **changes}))


def test_offline_profile_resolves_to_the_stand_in(fresh_loader):
    resolved = loader.resolve("ner")
    assert (resolved.source, resolved.choice, resolved.offline_entry) == ("offline", "dslim/bert-base-NER",
                                                                          "tiny-bert-ner")
    assert resolved.demo_weights
    assert not loader.resolve("sentiment").demo_weights


def test_choices_outside_the_registry_are_refused(fresh_loader):
    for bad in ["../../etc", "/etc/passwd", "someone/else", "sagemaker:x"]:
        with pytest.raises(InputError, match="Pick one of"):
            loader.resolve("sentiment", bad)


def test_same_checkpoint_is_loaded_once_and_shared(fresh_loader):
    first = loader.get("encoder")
    assert loader.get("zero_shot") is first  # both use MiniLM offline: one copy
    assert len(loader.in_memory()) == 1


def test_concurrent_first_use_loads_once(fresh_loader):
    with ThreadPoolExecutor(4) as callers:  # four first uses at once
        results = list(callers.map(lambda _: loader.get("ner"), range(4)))
    assert len({id(r) for r in results}) == 1


def test_budget_evicts_least_recently_used(fresh_loader, settings):
    with_settings(settings, memory_budget_mb=5)  # each tiny model is 1-7 MB
    loader.get("ner")
    loader.get("fill_mask")
    loader.get("generate")
    locations = [location for location, _ in loader.in_memory()]
    assert locations[-1] == "offline:tiny-gpt2"
    assert "offline:tiny-bert-ner" not in locations


def test_encoder_loads_with_eager_attention(fresh_loader):
    model = loader.get("encoder").model
    assert model.config._attn_implementation == "eager"


def test_local_override_folder(fresh_loader, settings, offline_pack):
    with_settings(settings, model_overrides={"ner": str(offline_pack["tiny-bert-ner"])})
    assert loader.choices("ner")[0] == str(offline_pack["tiny-bert-ner"])
    loaded = loader.get("ner")
    assert loaded.resolved.source == "local"


def test_missing_or_corrupt_folder_fails_alone_and_recovers(fresh_loader, settings, offline_pack, tmp_path):
    folder = tmp_path / "ner"
    with_settings(settings, model_overrides={"ner": str(folder)})
    with pytest.raises(ModelUnavailable, match="not a model folder"):
        loader.get("ner")
    shutil.copytree(offline_pack["tiny-bert-ner"], folder)
    (folder / "model.safetensors").write_bytes(b"corrupt")
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        loader.get("ner")
    assert loader.get("fill_mask").model is not None  # another task still works
    shutil.copyfile(offline_pack["tiny-bert-ner"] / "model.safetensors", folder / "model.safetensors")
    assert loader.get("ner").resolved.source == "local"  # fixed: the next request retries and loads


def test_pytorch_bin_only_folder_is_refused(fresh_loader, settings, offline_pack, tmp_path):
    import torch
    from transformers import AutoModelForTokenClassification

    folder = tmp_path / "bin-only"
    shutil.copytree(offline_pack["tiny-bert-ner"], folder)
    model = AutoModelForTokenClassification.from_pretrained(folder)
    (folder / "model.safetensors").unlink()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    with_settings(settings, model_overrides={"ner": str(folder)})
    with pytest.raises(ModelUnavailable):
        loader.get("ner")
