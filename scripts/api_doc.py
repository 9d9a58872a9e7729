"""Writes docs/api.md: the API contract, its endpoints read from the app's own API info (what gradio_client shows).

    .venv/bin/python -m scripts.api_doc        # rewrite docs/api.md
Every public endpoint with its inputs in order (types, defaults) and its outputs comes from the built app;
the promises around them (the command line, the launcher, what never changes) are the prose below.
A test checks that the file is current, so the contract never drifts from the app.
"""

from __future__ import annotations

import re
from pathlib import Path

import config

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "api.md"
# What a result holds beyond its type: the promises of the first contract, by api_name.
RESULTS = {
    "tokenize": "{tokens, input_ids, attention_mask, special_tokens_mask, offsets, word_ids, decoded, and "
                "token_type_ids where the tokenizer has them}.",
    "positional_encoding": "the sinusoidal encoding, drawn.",
    "attention": "the bertviz head and model views (HTML that renders offline), and a heatmap.",
    "compare_word": "the per-layer cosine similarity of the word's two contextual vectors.",
    "sentiment": "every class with its probability.",
    "ner": "the entities over the text, and a list of {entity_group, word, score, start, end}.",
    "ner_tokens": "every token's tag over the text, and a list of {token, tag, score, start, end} (O included): "
                  "/ner merges these into its entities, each entity's score the mean of its tokens'.",
    "zero_shot": "every candidate label with its score.",
    "fill_mask": "the candidate tokens with their scores, and a list of {token_str, score, sequence}.",
    "generate": "while streaming, the text so far; at the end the first sequence's full text, and a list of all "
                "sequences.",
    "generate_attention": "a heatmap, and {text, tokens, prompt_tokens, layer, head, attention}: row i is what "
                          "the position that wrote new token i attended to (new tokens x all tokens, each row "
                          "summing to 1, 0 from that token on); text is /generate's first sequence for the same "
                          "settings.",
    "qa": "the answer's text, the context with the answer marked, and a list of {answer, score, start, end}.",
    "summarize": "the summary's text.",
    "translate": "the translated text.",
    "train_classifier": "streamed progress; at the end a metrics dict with at least `accuracy` (held out) and "
                        "`confusion_matrix`.",
    "train_lm": "streamed loss; at the end a dict with `loss_start`, `loss_end`, `before` and `after` "
                "(generations on the same prompt).",
    "lstm_train": "streamed loss; at the end a dict with at least `loss_start` and `loss_end`.",
    "lstm_translate": "the LSTM's German, and T5's for the same text.",
    # The Why? tab (issue 17): what the view draws, then its numbers.
    "attribution": "the text coloured by signed score, and {tokens, scores, target, method, prediction, "
                   "target_score, baseline_score, baseline, ...}: for integrated gradients the scores add up to "
                   "target_score - baseline_score.",
    "ablate_heads": "a figure, and {before, after (class probabilities), one_at_a_time: {class, change (layers x "
                    "heads), largest}, ...}; with no head silenced, after is /sentiment's answer.",
    "logit_lens": "a layer x position heatmap, and {tokens, layers, top_tokens, top_probs, top_ids}; the last "
                  "layer is the model's own prediction.",
    "sampling_distribution": "bars before and after the processors, and {tokens, raw_probs, final_probs, ...} over "
                             "the likeliest tokens: what generate() samples from.",
    "cross_attention": "bertviz's views (HTML that renders offline), a heatmap, and {source_tokens, target_tokens, "
                       "attention (target x source), translation}: the text /translate returns.",
    "neuron_view": "bertviz's neuron view (HTML that renders offline), and the head's {tokens, queries, keys, "
                   "scores, attention}.",
    "embedding_projection": "a labelled scatter plot, and {points, explained_variance, ...}.",
}
AUTO_LABEL = re.compile(r"value_\d+")  # gradio's name for an unlabelled component: it moves as the layout changes

HEADER = """# The API of Transformers Playground

Users script the app with `gradio_client`, operators start it from a shell; both find the contract here.
The endpoints below are generated from the app's own API info (what gradio_client's `view_api()` shows)
by `python -m scripts.api_doc`, and a test keeps this file current. Worked examples, one per endpoint,
with the plain transformers code that prints the same result: [python.md](python.md).

## What never changes

- Names here are a promise: an endpoint's `api_name`, its leading inputs and their order, the command
  line's options and the launcher's commands change only with a migration note in the README.
- New inputs are optional (they have defaults) and come after the ones already there. Where an endpoint
  lets you choose the model, that choice is its last input. A script that passes an endpoint's leading
  inputs in order keeps working; inputs it leaves out take their defaults.
- Every user mistake (empty text, over a cap, no mask token, no labels, an unknown language, a value out
  of range) is a `gr.Error`, raised as `AppError` in gradio_client, whose message says what to do; the
  server keeps serving. Caps are checked by the server: API callers cannot bypass them.
- Start, end and offsets are character positions in the text as given.
- Added since the first contract (optional inputs, appended): the model choice on every task endpoint;
  `/generate`: `num_beams`, `repetition_penalty`, `no_repeat_ngram_size`; `/summarize`: `length_penalty`,
  `no_repeat_ngram_size`; `/translate`: `max_new_tokens` (per sentence); `/attention`: `average_heads`,
  `hide_special`; `/tokenize` also returns `word_ids`; and every endpoint the first contract did not list.

## Command line

```
python app.py [--host HOST] [--port PORT] [--share] [--root-path PATH]
              [--models auto|hub|offline] [--model TASK=ID_OR_PATH ...] [--dtype auto|float32|bfloat16]
```

- Host and port default to gradio's own variables (`GRADIO_SERVER_NAME`, `GRADIO_SERVER_PORT`), then
  127.0.0.1:7860. `--share` is off unless asked for (and then behind a login). `--root-path`
  (`GRADIO_ROOT_PATH`) is the app's path behind a proxy.
- `--models` / `PLAYGROUND_MODELS`: `hub` uses the registry's Hub checkpoints, `offline` the offline pack,
  `auto` (the default) the Hub where it is reachable or the model is cached, else the offline pack,
  decided per model.
- `--model TASK=ID_OR_PATH` / `PLAYGROUND_MODEL_<TASK>` (upper case) pins one task's model to a Hub id,
  a local folder saved by `save_pretrained`, or `sagemaker:ENDPOINT`.
- `--dtype` / `PLAYGROUND_DTYPE`: the weights' dtype. `auto` (the default) gives the tasks that ask for it
  (sentiment, generation) bf16 where the CPU computes bf16 natively, else float32; `float32` and `bfloat16`
  apply to every model, and `bfloat16` is refused at start on a CPU without native bf16.
- TASK keys: {task_keys}; `encoder` is the BERT-family model behind the tokenizer and attention
  tabs, `finetune` the base model the fine-tuning lab starts from.
- `build_demo()` in app.py returns the gr.Blocks without launching; the module-level `demo` is there for
  `gradio app.py` and Hugging Face Spaces.

## SageMaker launcher

```
python sagemaker_launcher.py launch|status|url|stop|delete --name NAME
       [--role-arn ARN] [--instance-type TYPE] [--region REGION] [--dry-run]
```

It honours boto3's own configuration (profiles, `AWS_ENDPOINT_URL`, region), never takes or prints
secrets, and every command is safe to repeat. Its other commands (endpoints, JumpStart) are in
[aws.md](aws.md).

## Links

A page address can open any view with its inputs filled in: `?open=<api_name>&<input>=<value>&...`, the
inputs named as below (one left out keeps its default). The view's tab is selected and the view runs, unless
it trains, calls Bedrock, needs a trained LSTM first, or asks for more than {link_tokens} new tokens: those are
filled only. Each value is checked as its input is (caps, choices from the list); a bad one is an error that
says what is wrong. Each view's **Copy link** button makes such a link from its current inputs, e.g.
`http://127.0.0.1:7860/?open=cross_attention&text=The+house+is+wonderful.&target_language=German`.

## Endpoints

Call them as `client.predict(*inputs, api_name="/name")` (or `client.submit(...)` to read streamed results
as they come). Inputs are listed in order; a type is what gradio_client sends (a float slider also takes
an int), and `Literal[...]` lists the only values accepted.
"""


def render() -> str:
    """docs/api.md, from the app built with the hub profile's settings (the model ids readers will use)."""
    previous = config.current()
    config.use(config.load_settings(["--models", "hub"], {}))
    try:
        import app
        from tabs import _common

        demo = app.build_demo()
        info = demo.get_api_info()["named_endpoints"]
        parts = [HEADER.replace("{task_keys}", ", ".join(f"`{key}`" for key in config.TASK_KEYS))
                 .replace("{link_tokens}", str(_common.LINK_RUN_NEW_TOKENS))]
        for tab, names in _by_tab(demo, info).items():
            parts.append(f"### {tab}\n")
            parts += [_endpoint(name, info[name], streamed) for name, streamed in names]
        hidden = [fn.api_name for fn in demo.fns.values() if fn.api_name and fn.api_visibility == "undocumented"]
        parts.append("### Not part of the contract\n\ngradio's own example loaders are callable but undocumented "
                     "and may change with any layout change: " + ", ".join(f"`/{n}`" for n in hidden) + ".\n")
        return "\n".join(parts)
    finally:
        config.use(previous)


def _by_tab(demo, info: dict) -> dict[str, list[tuple[str, bool]]]:
    """Tab (as "Tab › Sub-tab") -> [(api_name, streamed)] of its public endpoints, in the app's order."""
    tabs: dict[str, list[tuple[str, bool]]] = {}
    for fn in demo.fns.values():
        if f"/{fn.api_name}" not in info or fn.api_visibility != "public":
            continue
        # The tab of what triggers it, else of what it updates (an event of the page's load has no trigger there).
        blocks = [demo.blocks.get(block_id) for block_id, _ in fn.targets] + list(fn.outputs)
        where = next((path for path in map(_tab_path, blocks) if path), "The whole app")
        tabs.setdefault(where, []).append((f"/{fn.api_name}", fn.types_generator))
    return tabs


def _tab_path(block) -> str:
    import gradio as gr

    titles = []
    while block is not None:
        if isinstance(block, gr.Tab):
            titles.insert(0, block.label)
        block = block.parent
    return " › ".join(titles)


def _endpoint(name: str, endpoint: dict, streamed: bool) -> str:
    lines = [f"#### `{name}`\n"]
    if streamed:
        lines.append("Streamed: partial results while it runs, then the final one.\n")
    inputs = [_input(number, p) for number, p in enumerate(endpoint["parameters"], 1)]
    lines.append("Inputs:\n\n" + "\n".join(inputs) + "\n" if inputs else "No inputs.\n")
    outputs = [_output(number, r) for number, r in enumerate(endpoint["returns"], 1)]
    lines.append("Returns" + (" a tuple" if len(outputs) > 1 else "") + ":\n\n" + "\n".join(outputs) + "\n")
    if name.lstrip("/") in RESULTS:
        lines.append(f"The result: {RESULTS[name.lstrip('/')]}\n")
    return "\n".join(lines)


def _input(number: int, parameter: dict) -> str:
    default = f"default `{parameter['parameter_default']!r}`" if parameter["parameter_has_default"] else "required"
    accepts = parameter["type"].get("description")
    return (f"{number}. `{parameter['parameter_name']}`: `{parameter['python_type']['type']}`, {default}"
            f"{f' ({accepts})' if accepts else ''}. {_component(parameter)}")


def _output(number: int, returned: dict) -> str:
    described = returned["python_type"].get("description")
    return (f"{number}. `{returned['python_type']['type']}`{f' ({described})' if described else ''}. "
            f"{_component(returned)}")


def _component(entry: dict) -> str:
    label = entry.get("label") or ""
    return f"{entry['component']} \"{label}\"" if label and not AUTO_LABEL.fullmatch(label) else entry["component"]


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC}")
