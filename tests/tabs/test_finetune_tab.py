"""The fine-tuning lab as users script it: pinned endpoints, streamed training, My model, bad input, cancel."""

import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from models import loader, training
from models.errors import InputError
from tabs import finetune as finetune_tab
from tests.support.sessions import as_session

TOPICS = "text,label\n" + "".join(f"{s},{label}\n" for label, sentences in {
    "sport": ["The striker scored twice", "The team won the cup", "She ran a fast marathon",
              "The keeper saved a penalty", "The coach praised the defence"],
    "cooking": ["Simmer the onions slowly", "Bake the bread for an hour", "Whisk the eggs with sugar",
                "Season the soup with salt", "Chop the parsley finely"],
}.items() for s in sentences)

PINNED = {
    "/train_classifier": ["examples", "epochs", "learning_rate", "batch_size"],
    "/train_lm": ["text", "steps"],
    "/pair_view": ["sentence1", "sentence2"],
}


def test_endpoints_and_leading_inputs_are_pinned(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for api_name, names in PINNED.items():
        params = endpoints[api_name]["parameters"]
        assert [p["parameter_name"] for p in params[:len(names)]] == names, api_name
        assert all(p["parameter_has_default"] for p in params[len(names):]), (api_name, params)


def test_train_classifier_streams_then_serves_the_sentiment_tab(client, settings):
    job = client.submit(TOPICS, 2, 2e-4, 8, api_name="/train_classifier")
    result = job.result(timeout=600)
    assert set(result["labels"]) == {"cooking", "sport"} and result["test_examples"] == 2
    assert sum(map(sum, result["confusion_matrix"])) == 2 and 0 <= result["accuracy"] <= 1
    assert len(job.outputs()) >= 2  # progress came before the metrics
    scores = client.predict("Fry the garlic in butter", loader.MY_MODEL, api_name="/sentiment")
    assert {c["label"] for c in scores["confidences"]} == {"cooking", "sport"}
    assert "/root" not in str(result) and "home" not in str(result)  # no server path
    assert str(settings.cache_dir) not in str(result)  # where it saved the model is the server's business
    other = Client(client.src, verbose=False)  # another user: another session, and none of this one's model
    with pytest.raises(AppError, match="No model has been fine-tuned in this session"):
        other.predict("Fry the garlic in butter", loader.MY_MODEL, api_name="/sentiment")


@pytest.mark.parametrize("args, message", [
    (("sentence,class\nx,y\n", 1, 1e-4, 8), "header text,label"),
    ((TOPICS, 1, 1e-4, 8, "sport, travel"), "label 'cooking', which is not one of the labels you listed"),
    (("text,label\n" + "ok,A\nno,B\n" * 501, 1, 1e-4, 8), "more than 1,000 examples"),
    ((TOPICS, 11, 1e-4, 8), "Epochs must be between 1 and 10"),
    ((TOPICS, 1, 1e-4, 65), "Batch size must be between 1 and 64"),
])
def test_bad_classifier_input_is_a_clear_error(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/train_classifier")
    assert client.predict("A cat.", "A dog.", 0, api_name="/pair_view")["shapes"]["input_ids"][0] == 1


def test_cancel_leaves_the_previous_model(client):
    client.predict(TOPICS, 1, 2e-4, 8, api_name="/train_classifier")
    previous = as_session(client.session_hash, loader.get, "sentiment", loader.MY_MODEL)
    job = client.submit(TOPICS, 10, 2e-4, 1, api_name="/train_classifier")  # 80 steps
    deadline = time.monotonic() + 300
    while not any(o.get("status") == "training" for o in job.outputs()) and time.monotonic() < deadline:
        time.sleep(0.2)
    job.cancel()
    assert training.TRAINING.acquire(timeout=120)  # the worker stops at its next step
    training.TRAINING.release()
    assert as_session(client.session_hash, loader.get, "sentiment", loader.MY_MODEL) is previous


def test_train_lm_round_trip(client):
    result = client.predict("The cat sat on the mat. " * 30, 4, 3e-3, api_name="/train_lm")
    assert result["loss_end"] < result["loss_start"]
    assert result["before"].startswith("The cat sat on the") and result["after"].startswith("The cat sat on the")
    with pytest.raises(AppError, match="Steps must be between 1 and 200"):
        client.predict("Some text.", 0, api_name="/train_lm")


def test_pair_view_round_trip(client):
    batch = client.predict("The cat sat.", "A cat was sitting.", 2, api_name="/pair_view")
    assert batch["labels"] == [-100, 1, 0] and batch["shapes"]["token_type_ids"][0] == 3
    with pytest.raises(AppError, match="second sentence"):
        client.predict("The cat sat.", "", 2, api_name="/pair_view")


@pytest.mark.parametrize("characters, message", [
    (650_000, "The file is over 1.2 MB, more than 300,000 characters can take"),  # 1.3 MB: the read is cut
    (350_000, "The file is over 300,000 characters"),  # 700 KB of two-byte characters
])
def test_a_large_multibyte_csv_is_refused_for_its_size(tmp_path, characters, message):
    """Issue 18, item 5: a read cut mid-character is not "not UTF-8"; the message says the real reason."""
    path = tmp_path / "big.csv"
    path.write_text("é" * characters, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        finetune_tab.read_upload(str(path))
