"""NER on the tiny model: spans index the original text; labels come from dslim's label map."""

import pytest
import torch

from models import loader
from models.errors import InputError
from models.offline.tiny import NER_LABELS
from models.tasks import ner

TEXT = "Angela Merkel met Emmanuel Macron in Paris."


def test_entities_are_spans_of_the_text(offline_pack):
    entities = ner.extract(TEXT)
    for entity in entities:
        assert set(entity) == {"entity_group", "word", "score", "start", "end"}
        assert 0 <= entity["start"] < entity["end"] <= len(TEXT)
        assert TEXT[entity["start"]:entity["end"]].lower() == entity["word"].replace(" ##", "").replace("##", "")
        assert entity["entity_group"] in {label[2:] for label in NER_LABELS if label != "O"}
        assert 0.0 < entity["score"] <= 1.0


def test_groups_agree_with_the_models_own_argmax(offline_pack):
    loaded = loader.get("ner")
    batch = loaded.tokenizer(TEXT, return_tensors="pt", return_offsets_mapping=True)
    offsets = batch.pop("offset_mapping")[0]
    with torch.inference_mode():
        tags = loaded.model(**batch).logits[0].argmax(-1)  # (seq,)
    tagged_starts = {int(offsets[i][0]) for i, tag in enumerate(tags.tolist())
                     if NER_LABELS[tag] != "O" and offsets[i][1] > offsets[i][0]}
    for entity in ner.extract(TEXT):
        assert entity["start"] in tagged_starts


def test_empty_text_is_refused():
    with pytest.raises(InputError, match="empty"):
        ner.extract("  ")


def test_every_token_gets_the_models_own_tag_and_its_probability(offline_pack):
    loaded = loader.get("ner")
    batch = loaded.tokenizer(TEXT, return_tensors="pt", return_offsets_mapping=True)
    offsets = batch.pop("offset_mapping")[0].tolist()
    with torch.inference_mode():
        probs = loaded.model(**batch).logits[0].float().softmax(-1)  # (seq, labels)
    words = [i for i, (start, end) in enumerate(offsets) if end > start]  # [CLS] and [SEP] have no characters
    tags = ner.token_tags(TEXT)
    assert len(tags) == len(words)
    for token, i in zip(tags, words):
        assert set(token) == {"token", "tag", "score", "start", "end"}
        assert token["tag"] == NER_LABELS[int(probs[i].argmax())]
        assert token["score"] == pytest.approx(float(probs[i].max()), abs=1e-5)
        assert [token["start"], token["end"]] == offsets[i]
        assert token["token"] == loaded.tokenizer.convert_ids_to_tokens(int(batch["input_ids"][0, i]))
    # The merged spans start where a tagged token does: /ner is built from these tags.
    starts = {token["start"] for token in tags if token["tag"] != "O"}
    assert all(entity["start"] in starts for entity in ner.extract(TEXT))


def test_token_tags_of_empty_text_are_refused():
    with pytest.raises(InputError, match="empty"):
        ner.token_tags("  ")
