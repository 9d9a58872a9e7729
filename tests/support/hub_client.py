"""Runs the app's task functions in a process of its own, pointed at a local Hub, and reports each as a JSON line.

huggingface_hub reads HF_ENDPOINT, HF_HOME and HF_HUB_OFFLINE once, at import, and the test session has already
imported it offline; so the Hub tests start this script with their own environment (the socket guard still comes
in through PYTHONPATH). Standard input is a JSON object per line:

    {"task": "sentiment", "choice": "cardiffnlp/...", "revision": null}  -> runs it, prints one JSON line
    {"task": "ner", "choice": "dslim/bert-base-NER", "text": "..."}  -> the same on this text
    {"wait": "label"}  -> prints {"waiting": "label"} and reads the next line first (the test changes the hub)

Each report: task, choice, ok, the answer (or error type and message), where the model came from (source,
revision, folder) and every progress message the task reported.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from models import loader
from models.tasks import (
    fill_mask,
    finetune,
    generate,
    internals,
    ner,
    qa,
    sentiment,
    summarize,
    tokens,
    translate,
    zero_shot,
)

TEXT = "Angela Merkel met Emmanuel Macron in Paris. The weather was nice and everyone loved the visit."
_pins: dict[str, str] = {}
_resolve = loader.resolve


def _pinned(task: str, choice: str | None = None) -> loader.Resolved:
    """The loader's decision (with the registry's pinned revision), or the revision a request asked for instead:
    null tries a checkpoint unpinned, as one the registry does not pin would load."""
    resolved = _resolve(task, choice)
    if resolved.source == "hub" and resolved.location in _pins:
        return dataclasses.replace(resolved, revision=_pins[resolved.location])
    return resolved


loader.resolve = _pinned


def answer(task: str, choice: str, progress, text: str | None = None) -> Any:
    """One call of the task's own function, as its tab makes it (on `text` where given); JSON-able data."""
    if task == "sentiment":
        return sentiment.classify(text or "I loved this film.", choice, progress)
    if task == "ner":
        return ner.extract(text or TEXT, choice, progress)
    if task == "zero_shot":
        scores = zero_shot.classify(text or "The striker scored twice.", "sport, cooking, finance", False, choice,
                                    progress)
        return {"scores": scores, "method": zero_shot.method(loader.get("zero_shot", choice))}
    if task == "fill_mask":
        mask = loader.get("fill_mask", choice, progress).tokenizer.mask_token
        return fill_mask.fill(f"Paris is the {mask} of France.", 3, choice, progress)
    if task == "generate":
        settings = generate.GenerationSettings(max_new_tokens=5, do_sample=False)
        return list(generate.stream("Once upon a time", settings, choice, progress))[-1]
    if task == "qa":
        context = text or TEXT
        return {"answers": qa.answer("Where did they meet?", context, 1, choice, progress), "context": context}
    if task == "summarize":
        settings = summarize.SummarySettings(max_new_tokens=8, min_new_tokens=1, num_beams=1)
        return summarize.summarize(TEXT, settings, choice, progress)
    if task == "translate":
        language = translate.offered(choice)[0]
        return {language: translate.translate("The weather is nice today.", language, choice, progress, 8)}
    if task == "encoder":
        run = internals.forward("The cat sat on the mat.", choice, progress)
        return {"tokens": run.tokens, "layers": run.layers, "heads": run.heads}
    if task == "finetune":
        from models.snippets import classifier

        folder = loader.local_folder(loader.resolve("finetune", choice))
        model, _ = classifier.new_classifier(folder, ["negative", "positive"])
        pairs = finetune.pair_batch("A cat sat.", "A cat was sitting.", 1, choice)
        return {"labels": model.config.id2label, "tokens": pairs["tokens"][0]}
    if task == "tokenizer":
        result = tokens.tokenize("Hello world", choice)
        return {"input_ids": result["input_ids"], "tokens": result["tokens"]}
    raise KeyError(f"unknown task {task!r}")


def where(task: str, choice: str) -> dict[str, Any]:
    """Where the loaded model came from: source, revision and folder."""
    if task == "tokenizer":
        return {"source": loader.tokenizer_source(choice)[1], "revision": None, "folder": None}
    resolved = loader.resolve(task, choice)
    folder = loader.local_folder(resolved) if resolved.source == "hub" else None  # cached by now: no request
    return {"source": resolved.source, "revision": resolved.revision, "folder": folder}


def run(call: dict[str, Any]) -> dict[str, Any]:
    task, choice = call["task"], call["choice"]
    if "revision" in call:
        _pins[choice] = call["revision"]
    messages: list[list[Any]] = []
    report: dict[str, Any] = {"task": task, "choice": choice, "text_chars": len(call.get("text") or "")}
    try:
        report["answer"] = answer(task, choice, lambda fraction, text: messages.append([fraction, text]),
                                  call.get("text"))
        report.update(ok=True, **where(task, choice))
    except Exception as exc:  # the report says what failed; the test decides whether it should have
        report.update(ok=False, error=type(exc).__name__, message=str(exc))
    report["progress"] = messages
    return report


def main() -> None:
    for line in sys.stdin:
        call = json.loads(line)
        if "wait" in call:
            print(json.dumps({"waiting": call["wait"]}), flush=True)
            sys.stdin.readline()
            continue
        print(json.dumps(run(call), default=str), flush=True)


if __name__ == "__main__":
    main()
