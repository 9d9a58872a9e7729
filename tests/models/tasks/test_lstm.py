"""The LSTM lesson on tiny sizes: the split, training lowers the loss, greedy decoding stops, T5 beside it."""

import pytest
import torch

import state
from models import training
from models.errors import InputError
from models.snippets import lstm as reference
from models.tasks import lstm
from tests.support import snippets

TINY = {"embed": 8, "hidden": 16}


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """No LSTM trained yet; saves go to tmp_path."""
    monkeypatch.setattr(state, "lstm", None)
    monkeypatch.setattr(lstm, "folder", lambda: tmp_path / "lstm")
    return tmp_path / "lstm"


def trained(steps: int = 40) -> dict:
    *updates, result = lstm.train(steps, TINY)
    return result


def test_split_holds_out_a_fifth_of_each_length_and_repeats():
    pairs = reference.read_pairs(lstm.phrases_path())
    train, held_out = reference.split(pairs, lstm.HELD_OUT)
    assert len(pairs) >= 400 and len(train) + len(held_out) == len(pairs)
    assert not set(train) & set(held_out) and reference.split(pairs, lstm.HELD_OUT) == (train, held_out)
    for name, _, _ in reference.BUCKETS:
        total = sum(reference.bucket(en) == name for en, _ in pairs)
        assert sum(reference.bucket(en) == name for en, _ in held_out) == round(total * lstm.HELD_OUT)


def test_vocab_has_the_special_tokens_first_and_unknown_words():
    vocab = reference.Vocab.build(["Cats like milk.", "Dogs like cats!"])
    assert vocab.words[:4] == ("<pad>", "<sos>", "<eos>", "<unk>")
    assert vocab.encode("Cats like fish.") == [vocab.index["cats"], vocab.index["like"], reference.UNK,
                                                vocab.index["."]]
    assert vocab.decode(vocab.encode("dogs like milk!")) == "dogs like milk!"


def test_training_lowers_the_loss_and_reports_quality_by_length(fresh):
    result = trained()
    assert result["loss_end"] < result["loss_start"] - 1.0
    assert len(result["losses"]) == result["steps"] == 40
    assert [row["bucket"] for row in result["quality_by_length"]] == [b[0] for b in reference.BUCKETS]
    assert sum(row["phrases"] for row in result["quality_by_length"]) == result["held_out"]
    assert all(0 <= row["lstm"] <= 1 for row in result["quality_by_length"])
    assert (fresh / "model.safetensors").is_file() and (fresh / "vocab.json").is_file()


def tiny_net(favourite: int) -> reference.Seq2Seq:
    """A decoder whose every step prefers token `favourite` (its output layer is only a bias)."""
    torch.manual_seed(0)
    net = reference.Seq2Seq(10, 10, embed=4, hidden=8)
    with torch.no_grad():
        net.out.weight.zero_()
        net.out.bias.fill_(0.0)
        net.out.bias[favourite] = 5.0
    return net.eval()


def test_greedy_decoding_stops_at_eos():
    assert tiny_net(reference.EOS).greedy([4, 5, 6], max_len=20) == []


def test_greedy_decoding_stops_at_the_cap_without_eos():
    assert tiny_net(7).greedy([4, 5, 6], max_len=9) == [7] * 9
    assert reference.cap(3) == 11 and reference.cap(100) == reference.MAX_DECODE


def test_bleu1():
    assert reference.bleu1("ich bin hier.", "Ich bin hier.") == 1.0
    assert reference.bleu1("", "ich bin hier") == 0.0
    # 2 of 2 words match, but the candidate is shorter than the 4-word reference: exp(1 - 4/2).
    assert reference.bleu1("ich bin", "ich bin nicht hier") == pytest.approx(torch.exp(torch.tensor(-1.0)).item())


def test_translate_before_training_says_what_to_do(fresh):
    with pytest.raises(InputError, match="press Train"):
        lstm.translate("Cats like milk.")


def test_translate_gives_the_lstm_and_t5(fresh, offline_pack):
    trained(5)
    from_lstm, from_t5 = lstm.translate("Cats like milk.")
    assert isinstance(from_lstm, str) and isinstance(from_t5, str) and from_t5
    assert len(reference.words(from_lstm)) <= reference.cap(4)
    with pytest.raises(InputError, match="limit is 300"):
        lstm.translate("x" * 301)
    with pytest.raises(InputError, match="empty"):
        lstm.translate("   ")


def test_compare_times_both_and_scores_t5_by_length(fresh, offline_pack, monkeypatch):
    trained(5)
    train, held_out = reference.split(reference.read_pairs(lstm.phrases_path()), lstm.HELD_OUT)
    monkeypatch.setattr(reference, "split", lambda pairs, fraction, seed: (train, held_out[::12]))  # fewer T5 calls
    result = lstm.compare()
    assert [r["tokens"] for r in result["time_per_step"]] == list(lstm.TIMED_LENGTHS)
    assert all(r["lstm_sequential_steps"] == r["tokens"] and r["transformer_sequential_steps"] == 1
               for r in result["time_per_step"])
    assert all(row["t5"] is None or 0 <= row["t5"] <= 1 for row in result["quality_by_length"])
    assert "attention" in result["attention"]


def test_training_code_prints_the_same_result(fresh):
    result = trained(6)
    printed, = snippets.results([lstm.train_code(6, TINY)], threads=training.training_threads())
    assert result.pop("status") == "done"  # the app's own
    assert printed.pop("ms_per_step") > 0 and result.pop("ms_per_step") > 0  # the clock's
    snippets.assert_same(printed, result)


def test_translate_code_prints_both_translations(fresh, offline_pack):
    trained(5)
    expected = lstm.translate("Cats like milk.")
    printed, = snippets.results([lstm.translate_code("Cats like milk.")])
    assert printed == list(expected)


@pytest.mark.parametrize("steps", [0, 2001, "many"])
def test_steps_out_of_range_are_refused(steps):
    with pytest.raises(InputError, match="Steps must be"):
        lstm.train(steps)


def test_compare_code_prints_the_same_quality_and_note(fresh, offline_pack):
    trained(5)
    result = lstm.compare()
    printed, = snippets.results([lstm.compare_code()])
    snippets.assert_same(printed["quality_by_length"], result["quality_by_length"], 0.0, "quality_by_length")
    assert printed["attention"] == result["attention"] == lstm.ATTENTION_NOTE
    clock = ("lstm_ms", "transformer_ms")  # the times differ from run to run; the rest does not
    assert all(row[key] > 0 for row in printed["time_per_step"] for key in clock)
    assert [{k: v for k, v in row.items() if k not in clock} for row in printed["time_per_step"]] == \
        [{k: v for k, v in row.items() if k not in clock} for row in result["time_per_step"]]


def test_compare_code_before_training_says_what_to_do(fresh):
    with pytest.raises(InputError, match="[Tt]rain"):
        lstm.compare_code()
