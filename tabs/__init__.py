"""TABS: the app's tabs in the order the UI shows them (one module per tab, TITLE and build())."""

from tabs import (
    attention,
    bedrock,
    fill_mask,
    finetune,
    generate,
    lstm,
    ner,
    positional,
    qa,
    sentiment,
    summarize,
    tokenizer,
    translate,
    why,
    zero_shot,
)

TABS = (
    tokenizer,
    positional,
    attention,
    sentiment,
    ner,
    zero_shot,
    fill_mask,
    generate,
    qa,
    summarize,
    translate,
    why,
    finetune,
    lstm,
    bedrock,
)
