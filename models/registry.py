"""The registry as data: for each task, its Hub checkpoints (default first) and offline stand-in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskSpec:
    """One task: which Auto class loads it, which Hub checkpoints it offers, its offline stand-in."""

    key: str
    title: str
    model_class: str  # a transformers Auto class name, e.g. "AutoModelForSequenceClassification"
    checkpoints: tuple[str, ...]  # real Hub ids; the first is the default
    offline: str  # the offline pack entry used when the Hub cannot be reached
    eager_attention: bool = False  # attentions are shown: SDPA would return none
    # A faster dtype for this task's weights, used only where the CPU computes it natively (AMX or
    # AVX512-BF16: about 2x on these models); elsewhere float32, since emulated bf16 is slower.
    fast_dtype: str | None = None


REGISTRY: dict[str, TaskSpec] = {
    spec.key: spec
    for spec in (
        TaskSpec(
            "sentiment", "Sentiment", "AutoModelForSequenceClassification",
            ("distilbert/distilbert-base-uncased-finetuned-sst-2-english",
             "cardiffnlp/twitter-roberta-base-sentiment-latest"),
            offline="minilm-sentiment", fast_dtype="bfloat16",
        ),
        TaskSpec(
            "ner", "Named entities", "AutoModelForTokenClassification",
            ("dslim/bert-base-NER", "dslim/distilbert-NER"),
            offline="tiny-bert-ner",
        ),
        TaskSpec(
            "zero_shot", "Zero-shot", "AutoModelForSequenceClassification",
            ("facebook/bart-large-mnli", "cross-encoder/nli-distilroberta-base"),
            offline="minilm",
        ),
        TaskSpec(
            "fill_mask", "Fill-mask", "AutoModelForMaskedLM",
            ("google-bert/bert-base-uncased", "distilbert/distilroberta-base"),
            offline="tiny-bert-mlm",
        ),
        TaskSpec(
            "generate", "Text generation", "AutoModelForCausalLM",
            ("openai-community/gpt2", "distilbert/distilgpt2"),
            offline="tiny-gpt2", eager_attention=True, fast_dtype="bfloat16",
        ),
        TaskSpec(
            "qa", "Question answering", "AutoModelForQuestionAnswering",
            ("distilbert/distilbert-base-cased-distilled-squad", "deepset/roberta-base-squad2"),
            offline="tiny-distilbert-qa",
        ),
        TaskSpec(
            "summarize", "Summarization", "AutoModelForSeq2SeqLM",
            ("sshleifer/distilbart-cnn-12-6", "google-t5/t5-small"),
            offline="tiny-bart",
        ),
        TaskSpec(
            "translate", "Translation", "AutoModelForSeq2SeqLM",
            ("google-t5/t5-small", "Helsinki-NLP/opus-mt-en-de", "Helsinki-NLP/opus-mt-en-fr",
             "Helsinki-NLP/opus-mt-en-ro"),
            offline="tiny-t5",
        ),
        TaskSpec(
            "encoder", "Encoder (tokenizer and attention tabs)", "AutoModel",
            ("google-bert/bert-base-uncased", "distilbert/distilbert-base-uncased"),
            offline="minilm", eager_attention=True,
        ),
        TaskSpec(
            "finetune", "Fine-tuning base", "AutoModelForSequenceClassification",
            ("google-bert/bert-base-uncased", "distilbert/distilbert-base-uncased"),
            offline="minilm",
        ),
    )
}


def spec(task: str) -> TaskSpec:
    """The TaskSpec for a task key (KeyError names the known keys)."""
    try:
        return REGISTRY[task]
    except KeyError:
        raise KeyError(f"unknown task {task!r}; known: {', '.join(REGISTRY)}") from None


@dataclass(frozen=True)
class TokenizerSpec:
    """A tokenizer the explorer offers: its Hub id and the offline entry with the same vocabulary."""

    hub_id: str
    offline: str
    algorithm: str
    offline_vocab: str  # what the offline stand-in's vocabulary is (real, or trained locally)


# The three tokenizer families the explorer compares (keys are what users type and see).
TOKENIZERS: dict[str, TokenizerSpec] = {
    "bert-base-uncased": TokenizerSpec(
        "google-bert/bert-base-uncased", "minilm", "WordPiece",
        "the real bert-base-uncased vocabulary (shipped byte for byte with all-MiniLM-L6-v2)"),
    "gpt2": TokenizerSpec(
        "openai-community/gpt2", "tiny-gpt2", "byte-level BPE",
        "the real GPT-2 vocabulary and merges"),
    "t5-small": TokenizerSpec(
        "google-t5/t5-small", "tiny-t5", "SentencePiece (unigram)",
        "a SentencePiece model trained locally on a small corpus, NOT t5-small's: "
        "its pieces and ids differ from the real tokenizer's"),
}
