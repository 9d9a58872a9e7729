"""What a tokenizer makes of text: tokens, ids, masks, offsets and word ids; sentences as one padded batch.

The Tokenizer tab runs this file, and its Show code prints it: it runs on its own.
"""

COMPARED = ("tokens", "input_ids", "special_tokens_mask", "offsets")  # what the side-by-side view keeps


def tokenize(tokenizer, text: str) -> dict:
    """Everything the tokenizer produces for `text`; offsets index the text, [0, 0] for special tokens."""
    encoding = tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True)
    result = {"tokens": tokenizer.convert_ids_to_tokens(encoding["input_ids"]), "input_ids": encoding["input_ids"]}
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


def compared(tokenizer, text: str, algorithm: str) -> dict:
    """One tokenizer's side of the comparison: its algorithm, the token count, tokens, ids and offsets."""
    result = tokenize(tokenizer, text)
    return {"algorithm": algorithm, "count": len(result["input_ids"]), **{key: result[key] for key in COMPARED}}


def batch(tokenizer, sentences: list[str], max_length: int, padding: str = "longest") -> dict:
    """Sentences tokenized together: truncated to max_length, padded to the longest or to max_length.

    The tokenizer needs a padding token (GPT-2 has none: the usual choice is its <|endoftext|>).
    """
    # input_ids / attention_mask: (sentences, padded length), all rows the same length
    encoding = tokenizer(sentences, padding=padding, truncation=True, max_length=max_length)
    full_lengths = [len(ids) for ids in tokenizer(sentences)["input_ids"]]
    result = {"tokens": [tokenizer.convert_ids_to_tokens(ids) for ids in encoding["input_ids"]],
              "input_ids": encoding["input_ids"], "attention_mask": encoding["attention_mask"]}
    if "token_type_ids" in encoding:
        result["token_type_ids"] = encoding["token_type_ids"]
    result.update(pad_token=tokenizer.pad_token, padding_side=tokenizer.padding_side,
                  truncated=[length > max_length for length in full_lengths])
    return result
