"""The fine-tuning lab on tiny models: data checks, the training loops, My model, cancel and failure."""

import pytest

import config
from models import limits, loader, training
from models.errors import InputError
from models.snippets import classifier
from models.tasks import finetune, sentiment
from tests.support import snippets
from tests.support.sessions import as_session

WORDS = {"POSITIVE": ["good", "great", "lovely", "superb"], "NEGATIVE": ["bad", "awful", "dreadful", "poor"]}
TOY_CSV = "text,label\n" + "".join(f"a {w} {thing},{label}\n" for label, words in WORDS.items()
                                   for w in words for thing in ("film", "meal", "hotel"))


@pytest.fixture
def tiny_base(settings, offline_pack, tmp_path, monkeypatch):
    """The fine-tuning base pinned to the tiny BERT (hidden 32), My model saved under tmp_path."""
    config.use(config.Settings(**{**settings.__dict__,
                                  "model_overrides": {"finetune": str(offline_pack["tiny-bert-mlm"])}}))
    monkeypatch.setattr(finetune, "my_model_folder", lambda: tmp_path / "my-model")
    loader.clear()
    yield tmp_path / "my-model"
    config.use(settings)
    loader.clear()


def run(iterator) -> tuple[list[dict], dict]:
    updates = list(iterator)
    return updates[:-1], updates[-1]


def toy_run(**changes) -> tuple[list[dict], dict]:
    # The tiny model's embeddings are random: they must train too. One batch of 20 per epoch.
    args = {"csv_text": TOY_CSV, "epochs": 10, "learning_rate": 2e-2, "batch_size": 20,
            "freeze_embeddings": False, **changes}
    return run(finetune.train_classifier(**args))


# ---- data and settings ----------------------------------------------------------------------------

def test_empty_examples_mean_the_project_set():
    examples = finetune.parse_examples("")
    assert len(examples) == 400
    assert finetune.check_labels(examples) == ["NEGATIVE", "POSITIVE"]


def test_csv_columns_in_any_order_quotes_and_blank_lines():
    examples = finetune.parse_examples('label,text\nPOS,"Great, really."\n\nNEG,Bad.\n')
    assert examples == [("Great, really.", "POS"), ("Bad.", "NEG")]


@pytest.mark.parametrize("csv_text, message", [
    ("sentence,class\nGood.,POS\n", "header text,label"),
    ("text,label\nGood. POS\n", "Line 2 has 1 field"),
    ("text,label\nGood.,\n", "empty label"),
    ("text,label\n" + "x" * 501 + ",POS\n", "limit is 500"),
    ("text,label\n" + "ok,A\n" * 1001, "more than 1,000 examples"),
    ('text,label\n"unclosed,POS\n', "could not be read"),
])
def test_bad_csv_says_what_to_fix(csv_text, message):
    with pytest.raises(InputError, match=message):
        finetune.parse_examples(csv_text)


@pytest.mark.parametrize("csv_text, declared, message", [
    (TOY_CSV, "POSITIVE, NEUTRAL", "label 'NEGATIVE', which is not one of the labels you listed"),
    ("text,label\n" + "ok,A\n" * 9, "", "a classifier here needs 2 to 10"),
    ("text,label\n" + "ok,A\n" * 9 + "no,B\n", "", "'B' has 1 example"),
    ("text,label\nok,A\nno,B\n", "", "at least 8"),
])
def test_bad_labels_say_what_to_fix(csv_text, declared, message):
    with pytest.raises(InputError, match=message):
        finetune.check_labels(finetune.parse_examples(csv_text), declared)


def test_declared_labels_set_the_order():
    assert finetune.check_labels(finetune.parse_examples(TOY_CSV), "POSITIVE,NEGATIVE") == ["POSITIVE", "NEGATIVE"]


@pytest.mark.parametrize("epochs, lr, batch, message", [
    (0, 1e-4, 16, "Epochs must be between 1 and 10"), (11, 1e-4, 16, "Epochs must be between"),
    (2.5, 1e-4, 16, "Epochs must be a whole number"), (3, 0.5, 16, "Learning rate must be between"),
    (3, 1e-4, 0, "Batch size must be between"), (3, float("nan"), 16, "Learning rate must be between"),
])
def test_settings_out_of_range_are_refused(epochs, lr, batch, message):
    with pytest.raises(InputError, match=message):
        finetune.ClassifierSettings.checked(epochs, lr, batch)


def test_stratified_split_holds_out_each_label_and_repeats():
    examples = finetune.parse_examples("")
    train, test = classifier.stratified_split(examples, 0.2, seed=0)
    assert len(test) == 80 and sum(label == "POSITIVE" for _, label in test) == 40
    assert len(train) + len(test) == 400 and not set(map(id, train)) & set(map(id, test))
    assert classifier.stratified_split(examples, 0.2, seed=0) == (train, test)


def test_confusion_matrix_counts():
    matrix = classifier.confusion_matrix(["a", "a", "b", "c"], ["a", "b", "b", "a"], ["a", "b", "c"])
    assert matrix == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]


# ---- training -----------------------------------------------------------------------------------

def test_classifier_learns_reports_and_serves_as_my_model(tiny_base):
    updates, result = toy_run()
    losses = result["losses"]
    assert len(losses) == result["steps"] == 10  # 20 training rows in one batch, 10 epochs
    assert max(losses[-2:]) < min(losses[:3]) / 4  # the loss came down
    assert result["labels"] == ["NEGATIVE", "POSITIVE"] and result["test_examples"] == 4
    matrix = result["confusion_matrix"]
    assert len(matrix) == 2 and all(len(row) == 2 for row in matrix)
    assert sum(map(sum, matrix)) == 4 and result["accuracy"] == (matrix[0][0] + matrix[1][1]) / 4
    assert any(u.get("status") == "training" for u in updates)
    scores = sentiment.classify("a superb hotel", loader.MY_MODEL)
    assert set(scores) == {"NEGATIVE", "POSITIVE"}
    assert (tiny_base / "model.safetensors").is_file() and result["saved_to"] == finetune.SAVED_IN
    assert str(tiny_base.parent) not in str(result)  # no server path in what the caller gets


def test_a_huge_csv_cell_is_refused_with_the_real_limit():
    """Issue 18, item 5: a 299,000-character cell passes the CSV's 300,000-character cap but not the csv module's
    own field limit; the message is the per-example limit, not advice about quoting."""
    with pytest.raises(InputError) as refused:
        finetune.parse_examples("text,label\n" + "x" * 299_000 + ",A\nshort,B\n")
    assert str(refused.value) == ("A text on line 2 is far over the limit of 500 characters per example; "
                                  "shorten it.")


def test_my_model_is_each_sessions_own_unless_the_operator_shares_it(tiny_base, settings):
    as_session("alice", lambda: run(finetune.train_classifier(TOY_CSV, 1, 1e-2, 20)))
    assert set(as_session("alice", sentiment.classify, "a superb hotel", loader.MY_MODEL)) == {"NEGATIVE", "POSITIVE"}
    with pytest.raises(InputError, match="No model has been fine-tuned in this session"):
        as_session("bob", sentiment.classify, "a superb hotel", loader.MY_MODEL)
    config.use(config.Settings(**{**config.current().__dict__, "shared_my_model": True}))
    as_session("alice", lambda: run(finetune.train_classifier(TOY_CSV, 1, 1e-2, 20)))
    assert as_session("bob", sentiment.classify, "a superb hotel", loader.MY_MODEL)  # one for everyone


def test_session_folders_are_hashed_and_the_oldest_models_are_dropped_with_their_folders(tmp_path, fresh_state):
    import torch

    assert config.load_settings([], {"PLAYGROUND_SHARED_MY_MODEL": "1"}).shared_my_model
    assert not config.load_settings([], {}).shared_my_model
    folder = as_session("../../etc", finetune.my_model_folder)
    assert folder.parent.name == "sentiment-sessions" and len(folder.name) == 16 and ".." not in folder.parts
    owners = [f"session-{i}" for i in range(limits.MY_MODELS_KEPT + 2)]
    dropped = []
    for owner in owners:
        dropped += as_session(owner, loader.register_session_model, "sentiment", torch.nn.Linear(2, 2), None,
                              tmp_path / owner)
    assert dropped == [tmp_path / "session-0", tmp_path / "session-1"]  # least recent first
    with pytest.raises(InputError, match=f"keeps the {limits.MY_MODELS_KEPT} most recently used"):
        as_session("session-0", loader.get, "sentiment", loader.MY_MODEL)
    assert as_session("session-2", loader.get, "sentiment", loader.MY_MODEL).resolved.location == \
        str(tmp_path / "session-2")


def test_my_model_before_any_training_says_what_to_do(tiny_base):
    assert loader.MY_MODEL in loader.choices("sentiment")
    with pytest.raises(InputError, match="Fine-tuning lab"):
        sentiment.classify("Nice.", loader.MY_MODEL)


def test_cancel_stops_and_keeps_the_previous_model(tiny_base):
    run(finetune.train_classifier(TOY_CSV, 1, 1e-2, 20))
    previous = loader.get("sentiment", loader.MY_MODEL)
    stamp = (tiny_base / "config.json").stat().st_mtime_ns
    iterator = finetune.train_classifier(TOY_CSV, 10, 1e-2, 1)
    update = next(iterator)
    while update.get("status") != "training":
        update = next(iterator)
    iterator.close()  # what gradio does on Cancel
    with training.TRAINING:  # the worker lets go at its next step
        pass
    assert loader.get("sentiment", loader.MY_MODEL) is previous
    assert (tiny_base / "config.json").stat().st_mtime_ns == stamp


def test_failed_run_keeps_the_previous_model(tiny_base, monkeypatch):
    run(finetune.train_classifier(TOY_CSV, 1, 1e-2, 20))
    previous = loader.get("sentiment", loader.MY_MODEL)

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(classifier, "predict", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        run(finetune.train_classifier(TOY_CSV, 1, 1e-2, 20))
    assert loader.get("sentiment", loader.MY_MODEL) is previous


def test_classifier_code_prints_the_same_metrics(tiny_base):
    _, result = toy_run(epochs=4, batch_size=8)
    printed, = snippets.results([finetune.classifier_code(TOY_CSV, 4, 2e-2, 8, "", False, None)],
                                threads=training.training_threads())
    app_only = ("base_model", "status", "seconds", "saved_to", "serves")
    snippets.assert_same(printed, {key: value for key, value in result.items() if key not in app_only})


def test_lm_blocks():
    from models.snippets import causal_lm

    assert causal_lm.blocks(list(range(10)), 4) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert causal_lm.blocks([1, 2], 4) == [[1, 2]]


def test_language_model_loss_goes_down_and_code_agrees(offline_pack):
    text = "The cat sat on the mat. " * 30
    updates, result = run(finetune.train_lm(text, 8, 3e-3))
    assert result["loss_end"] < result["loss_start"] - 0.5
    assert result["before"].startswith(result["prompt"]) and result["after"].startswith(result["prompt"])
    assert result["prompt"] == "The cat sat on the" and len(result["losses"]) == 8
    printed, = snippets.results([finetune.lm_code(text, 8, 3e-3)], threads=training.training_threads())
    assert result.pop("status") == "done"
    snippets.assert_same(printed, result)


@pytest.mark.parametrize("text, steps, message", [("x" * 20_001, 5, "limit is 20,000"), ("Hi.", 0, "Steps must be"),
                                                  ("Hi.", 201, "Steps must be"), ("Hi there.", 1, "only a few tokens")])
def test_language_model_bad_input(offline_pack, text, steps, message):
    with pytest.raises(InputError, match=message):
        run(finetune.train_lm(text, steps))


# ---- sentence pairs ---------------------------------------------------------------------------------

def test_pair_batch_shows_segments_padding_and_labels(offline_pack):
    batch = finetune.pair_batch("The cat sat.", "A cat was sitting.", 2)
    assert batch["shapes"]["input_ids"] == [3, len(batch["tokens"][0])]
    assert batch["labels"] == [-100, 1, 0]
    tokens, types, mask = batch["tokens"][0], batch["token_type_ids"][0], batch["attention_mask"][0]
    assert tokens[:6] == ["[CLS]", "the", "cat", "sat", ".", "[SEP]"]
    second = tokens.index("[SEP]") + 1
    assert set(types[:second]) == {0} and types[second] == 1
    assert all(m == (t != "[PAD]") for m, t in zip(mask, tokens))
    assert any(m == 0 for row in batch["attention_mask"] for m in row)  # something was padded
    printed, = snippets.results([finetune.pairs_code("The cat sat.", "A cat was sitting.", 2)])
    snippets.assert_same(printed, batch)


@pytest.mark.parametrize("args, message", [(("", "B"), "first sentence"), (("A", "B", 8), "Pairs from the example")])
def test_pair_batch_bad_input(offline_pack, args, message):
    with pytest.raises(InputError, match=message):
        finetune.pair_batch(*args)


def test_show_code_names_the_projects_files_not_the_servers_path(tiny_base, offline_pack):
    """Issue 18, item 6: the example sets are named from the project's folder (where a user runs the code they
    copied), never by where the server keeps them."""
    server_folder = str(finetune.example_set_path().resolve().parent)
    shown = [finetune.classifier_code("", 1, 2e-4, 16), finetune.lm_code("", 1),
             finetune.pairs_code("The cat sat.", "A cat was sitting.", 2)]
    for code, name in zip(shown, ("assets/sentiment.csv", "assets/lm_corpus.txt", "assets/paraphrase_pairs.csv")):
        assert server_folder not in code and repr(name) in code
