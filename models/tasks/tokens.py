"""Tokenizer explorer: text -> tokens, ids, masks and offsets; three tokenizers compared; a padded batch."""

from __future__ import annotations

import copy
from typing import Any

import state
from models import limits, loader, validate
from models.errors import InputError, ModelUnavailable
from models.registry import TOKENIZERS

PADDING = ("longest", "max_length")
COMPARED = ("tokens", "input_ids", "special_tokens_mask", "offsets")  # what the side-by-side view keeps


def _tokenizer_name(name: object) -> str:
    if name not in TOKENIZERS:
        raise InputError(f"Unknown tokenizer {name!r}. Pick one of: {', '.join(TOKENIZERS)}.")
    return str(name)


def tokenize(text: str, name: str) -> dict:
    """Everything the tokenizer produces for `text`; offsets index the text as given, [0, 0] for specials."""
    text = validate.text(text, "some text", limits.TOKENIZE_CHARS)
    tokenizer, _ = loader.tokenizer(_tokenizer_name(name))
    encoding = tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True)
    result = {"tokens": tokenizer.convert_ids_to_tokens(encoding["input_ids"]),
              "input_ids": encoding["input_ids"]}
    if "token_type_ids" in encoding:  # BERT has them (sentence A/B); GPT-2 and T5 do not
        result["token_type_ids"] = encoding["token_type_ids"]
    result.update(
        attention_mask=encoding["attention_mask"],
        special_tokens_mask=encoding["special_tokens_mask"],
        offsets=[list(pair) for pair in encoding["offset_mapping"]],
        word_ids=encoding.word_ids(),  # which word of the text each token came from (None: special)
        decoded=tokenizer.decode(encoding["input_ids"]),
    )
    return result


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
            result = tokenize(text, name)
        except ModelUnavailable as exc:
            compared[name] = {"algorithm": spec.algorithm, "error": str(exc)}
            continue
        compared[name] = {"algorithm": spec.algorithm, "count": len(result["input_ids"]),
                          **{key: result[key] for key in COMPARED}}
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
    tokenizer = _with_pad_token(tokenizer)
    # input_ids / attention_mask: (sentences, padded length), all rows the same length
    encoding = tokenizer(lines, padding=padding, truncation=True, max_length=max_length)
    full_lengths = [len(ids) for ids in tokenizer(lines)["input_ids"]]
    result = {"tokens": [tokenizer.convert_ids_to_tokens(ids) for ids in encoding["input_ids"]],
              "input_ids": encoding["input_ids"], "attention_mask": encoding["attention_mask"]}
    if "token_type_ids" in encoding:
        result["token_type_ids"] = encoding["token_type_ids"]
    result.update(pad_token=tokenizer.pad_token, padding_side=tokenizer.padding_side,
                  truncated=[length > max_length for length in full_lengths])
    return result


def _location(name: str) -> str:
    return loader.tokenizer_source(name)[0]


def code(text: str, name: str) -> str:
    """Plain transformers code that prints what `tokenize` returns (as JSON)."""
    return f"""import json
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained({_location(_tokenizer_name(name))!r})
text = {text!r}
enc = tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True)
result = {{"tokens": tokenizer.convert_ids_to_tokens(enc["input_ids"]), "input_ids": enc["input_ids"]}}
if "token_type_ids" in enc:  # BERT only (sentence A / B)
    result["token_type_ids"] = enc["token_type_ids"]
result.update(attention_mask=enc["attention_mask"], special_tokens_mask=enc["special_tokens_mask"],
              offsets=[list(pair) for pair in enc["offset_mapping"]], word_ids=enc.word_ids(),
              decoded=tokenizer.decode(enc["input_ids"]))
print(json.dumps(result, ensure_ascii=False))
"""


def compare_code(text: str) -> str:
    """Plain transformers code that prints what `compare` returns."""
    locations = {name: _location(name) for name in TOKENIZERS}
    algorithms = {name: spec.algorithm for name, spec in TOKENIZERS.items()}
    return f"""import json
from transformers import AutoTokenizer

text = {text!r}
algorithms = {algorithms!r}
result = {{}}
for name, location in {locations!r}.items():
    tokenizer = AutoTokenizer.from_pretrained(location)
    enc = tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True)
    result[name] = {{"algorithm": algorithms[name], "count": len(enc["input_ids"]),
                    "tokens": tokenizer.convert_ids_to_tokens(enc["input_ids"]), "input_ids": enc["input_ids"],
                    "special_tokens_mask": enc["special_tokens_mask"],
                    "offsets": [list(pair) for pair in enc["offset_mapping"]]}}
print(json.dumps(result, ensure_ascii=False))
"""


def batch_code(text: str, name: str, max_length: int = 16, padding: str = "longest") -> str:
    """Plain transformers code that prints what `batch` returns."""
    lines = sentences(text)
    max_length = int(max_length)
    return f"""import json
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained({_location(_tokenizer_name(name))!r})
if tokenizer.pad_token is None:  # GPT-2 has none: pad with <|endoftext|>
    tokenizer.pad_token = tokenizer.eos_token
sentences = {lines!r}
# input_ids / attention_mask: one row per sentence, all the same length
enc = tokenizer(sentences, padding={padding!r}, truncation=True, max_length={max_length})
result = {{"tokens": [tokenizer.convert_ids_to_tokens(ids) for ids in enc["input_ids"]],
          "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}}
if "token_type_ids" in enc:
    result["token_type_ids"] = enc["token_type_ids"]
result.update(pad_token=tokenizer.pad_token, padding_side=tokenizer.padding_side,
              truncated=[len(ids) > {max_length} for ids in tokenizer(sentences)["input_ids"]])
print(json.dumps(result, ensure_ascii=False))
"""
