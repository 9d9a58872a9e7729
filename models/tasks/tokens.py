"""Tokenizer explorer: text -> tokens, ids, masks and offsets; three tokenizers compared; a padded batch."""

from __future__ import annotations

import copy
from typing import Any

import state
from models import limits, loader, snippets, validate
from models.errors import InputError, ModelUnavailable
from models.registry import TOKENIZERS
from models.snippets import tokens as reference

PADDING = ("longest", "max_length")


def _tokenizer_name(name: object) -> str:
    if name not in TOKENIZERS:
        raise InputError(f"Unknown tokenizer {name!r}. Pick one of: {', '.join(TOKENIZERS)}.")
    return str(name)


def tokenize(text: str, name: str) -> dict:
    """Everything the tokenizer produces for `text`; offsets index the text as given, [0, 0] for specials."""
    text = validate.text(text, "some text", limits.TOKENIZE_CHARS)
    tokenizer, _ = loader.tokenizer(_tokenizer_name(name))
    return reference.tokenize(tokenizer, text)


def source_note(name: str) -> str:
    """Where the tokenizer comes from, said plainly (offline stand-ins name their vocabulary)."""
    spec = TOKENIZERS[_tokenizer_name(name)]
    try:
        _, source = loader.tokenizer(name)
    except ModelUnavailable as exc:
        return f"⚠️ {exc}"
    if source == "hub":
        return f"**{name}** ({spec.algorithm}): `{spec.hub_id}` from the Hugging Face Hub."
    warn = "⚠️ " if "NOT" in spec.offline_vocab else ""
    return f"{warn}**{name}** ({spec.algorithm}), offline: {spec.offline_vocab}."


def compare(text: str) -> dict[str, dict]:
    """The same text through every tokenizer: token count, tokens and ids (an unavailable one says why)."""
    text = validate.text(text, "some text", limits.TOKENIZE_CHARS)
    compared = {}
    for name, spec in TOKENIZERS.items():
        try:
            tokenizer, _ = loader.tokenizer(name)
        except ModelUnavailable as exc:
            compared[name] = {"algorithm": spec.algorithm, "error": str(exc)}
            continue
        compared[name] = reference.compared(tokenizer, text, spec.algorithm)
    return compared


def sentences(value: object) -> list[str]:
    """The batch view's input: one sentence per line, 2 to TOKENIZE_BATCH_SENTENCES of them."""
    lines = [line.strip() for line in validate.text(value, "sentences", limits.TOKENIZE_CHARS).splitlines()]
    lines = [line for line in lines if line]
    if not 2 <= len(lines) <= limits.TOKENIZE_BATCH_SENTENCES:
        raise InputError(f"Enter 2 to {limits.TOKENIZE_BATCH_SENTENCES} sentences, one per line; "
                         f"got {len(lines)}.")
    return lines


def _with_pad_token(tokenizer: Any) -> Any:
    """GPT-2 has no padding token: batch with a copy whose pad token is <|endoftext|> (the usual choice),
    leaving the shared tokenizer untouched."""
    if tokenizer.pad_token is not None:
        return tokenizer
    with state.lock:
        original, padder = state.padders.get(id(tokenizer), (None, None))
        if original is not tokenizer:
            padder = copy.deepcopy(tokenizer)
            padder.pad_token = padder.eos_token
            state.padders[id(tokenizer)] = (tokenizer, padder)
        return padder


def batch(text: str, name: str, max_length: int = 16, padding: str = "longest") -> dict:
    """Several sentences tokenized together: truncated to max_length, padded to the longest or to max_length."""
    lines = sentences(text)
    max_length = validate.integer(max_length, "max length", 2, limits.TOKENIZE_BATCH_LENGTH)
    if padding not in PADDING:
        raise InputError(f"Padding must be one of: {', '.join(PADDING)}.")
    tokenizer, _ = loader.tokenizer(_tokenizer_name(name))
    return reference.batch(_with_pad_token(tokenizer), lines, max_length, padding)


def _location(name: str) -> str:
    return loader.tokenizer_source(name)[0]


def code(text: str, name: str) -> str:
    """models/snippets/tokens.py and a call on these inputs: prints what `tokenize` returns."""
    return snippets.program(["tokens"], _load_code(name), f"print(json.dumps(tokenize(tokenizer, {text!r})))")


def compare_code(text: str) -> str:
    """models/snippets/tokens.py and a call on these inputs: prints what `compare` returns."""
    tokenizers = {name: (_location(name), spec.algorithm) for name, spec in TOKENIZERS.items()}
    return snippets.program(
        ["tokens"], "from transformers import AutoTokenizer\n", f"tokenizers = {tokenizers!r}",
        f"result = {{name: compared(AutoTokenizer.from_pretrained(location), {text!r}, algorithm)\n"
        "          for name, (location, algorithm) in tokenizers.items()}",
        "print(json.dumps(result))")


def batch_code(text: str, name: str, max_length: int = 16, padding: str = "longest") -> str:
    """models/snippets/tokens.py and a call on these inputs: prints what `batch` returns."""
    return snippets.program(
        ["tokens"], _load_code(name),
        "if tokenizer.pad_token is None:  # GPT-2 has none: pad with <|endoftext|>\n"
        "    tokenizer.pad_token = tokenizer.eos_token",
        "print(json.dumps(" + snippets.call("batch", "tokenizer", sentences=sentences(text),
                                            max_length=int(max_length), padding=padding) + "))")


def _load_code(name: str) -> str:
    return ("from transformers import AutoTokenizer\n\n"
            f"tokenizer = AutoTokenizer.from_pretrained({_location(_tokenizer_name(name))!r})")
