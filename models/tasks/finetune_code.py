"""The fine-tuning lab's "Show code": plain PyTorch + transformers that prints what each endpoint returns."""

from __future__ import annotations

import json
from typing import Any

from models import limits, loader, validate
from models.tasks import finetune

_CLASSIFIER = '''\
import json
import random

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

{examples}
labels = {labels!r}
epochs, learning_rate, batch_size, seed = {epochs}, {learning_rate!r}, {batch_size}, {seed}

# Hold out {fraction:.0%} of each label (seeded); both parts keep the input order.
rng = random.Random(seed)
held_out = set()
for label in sorted({{lab for _, lab in examples}}):
    rows = [i for i, (_, lab) in enumerate(examples) if lab == label]
    rng.shuffle(rows)
    held_out.update(rows[:max(1, round(len(rows) * {fraction}))])
train = [ex for i, ex in enumerate(examples) if i not in held_out]
test = [ex for i, ex in enumerate(examples) if i in held_out]

torch.manual_seed(seed)  # the new classification head's initial weights
tokenizer = AutoTokenizer.from_pretrained({base!r})
model = AutoModelForSequenceClassification.from_pretrained(
    {base!r}, num_labels=len(labels), id2label=dict(enumerate(labels)),
    label2id={{label: i for i, label in enumerate(labels)}}, ignore_mismatched_sizes=True)
model.get_input_embeddings().requires_grad_({train_embeddings})  # False: the word embeddings stay frozen

rng = random.Random(seed)
torch.manual_seed(seed)  # dropout
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
order = list(range(len(train)))
model.train()
for epoch in range(epochs):
    rng.shuffle(order)
    for start in range(0, len(order), batch_size):
        batch = [train[i] for i in order[start:start + batch_size]]
        inputs = tokenizer([text for text, _ in batch], padding=True, truncation=True, max_length=128,
                           return_tensors="pt")  # input_ids: (batch, longest)
        targets = torch.tensor([model.config.label2id[label] for _, label in batch])  # (batch,)
        loss = model(**inputs, labels=targets).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

model.eval()
predicted = []
with torch.inference_mode():
    for start in range(0, len(test), 32):
        inputs = tokenizer([text for text, _ in test[start:start + 32]], padding=True, truncation=True,
                           max_length=128, return_tensors="pt")
        predicted += [model.config.id2label[i] for i in model(**inputs).logits.argmax(-1).tolist()]
truth = [label for _, label in test]
print(json.dumps({{
    "accuracy": round(sum(p == t for p, t in zip(predicted, truth)) / len(truth), 4),
    "confusion_matrix": [[sum(t == a and p == b for t, p in zip(truth, predicted)) for b in labels]
                         for a in labels],
    "labels": labels, "train_examples": len(train), "test_examples": len(test),
}}))
'''

_LM = '''\
import json
import random

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

{text}
tokenizer = AutoTokenizer.from_pretrained({base!r})
model = AutoModelForCausalLM.from_pretrained({base!r})
ids = tokenizer(text)["input_ids"]
block, batch_size, steps, learning_rate = {block}, {batch}, {steps}, {learning_rate!r}
blocks = [ids[i:i + block] for i in range(0, len(ids) - block + 1, block)] or [ids]
prompt = " ".join(text.split()[:{words}])


def mean_loss():  # the loss over the whole text, a few (block,)-long sequences at a time
    model.eval()
    chunks = [blocks[i:i + batch_size] for i in range(0, len(blocks), batch_size)]
    with torch.inference_mode():
        return sum(model(input_ids=torch.tensor(c), labels=torch.tensor(c)).loss.item() * len(c)
                   for c in chunks) / len(blocks)


def greedy():
    inputs = tokenizer(prompt, return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens={new_tokens}, do_sample=False,
                             pad_token_id=tokenizer.eos_token_id)
    return tokenizer.decode(out[0], skip_special_tokens=True)


before, loss_start = greedy(), mean_loss()
rng = random.Random({seed})
torch.manual_seed({seed})  # dropout
optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
model.train()
for step in range(steps):
    batch = torch.tensor([blocks[rng.randrange(len(blocks))] for _ in range(batch_size)])  # (batch, block)
    loss = model(input_ids=batch, labels=batch).loss  # the model shifts the labels by one itself
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
print(json.dumps({{"loss_start": round(loss_start, 4), "loss_end": round(mean_loss(), 4),
                  "before": before, "after": greedy()}}))
'''

_PAIRS = '''\
import json

from transformers import AutoTokenizer, DataCollatorWithPadding

tokenizer = AutoTokenizer.from_pretrained({base!r})
rows = {rows!r}  # (sentence1, sentence2, label); -100 = no label
features = [{{**tokenizer(a, b, truncation=True, max_length={max_tokens}), "label": label}} for a, b, label in rows]
batch = DataCollatorWithPadding(tokenizer, return_tensors="pt")(features)  # pads to the longest pair
print(json.dumps({{
    "pairs": [[a, b] for a, b, _ in rows],
    "tokens": [tokenizer.convert_ids_to_tokens(ids) for ids in batch["input_ids"].tolist()],
    **{{name: tensor.tolist() for name, tensor in batch.items()}},
    "shapes": {{name: list(tensor.shape) for name, tensor in batch.items()}},
}}))
'''


def _examples_source(csv_text: str | None) -> str:
    if csv_text is None or not csv_text.strip():
        path = str(finetune.example_set_path())
        return ("import csv\n\nwith open(" + repr(path) + ", newline=\"\", encoding=\"utf-8\") as handle:\n"
                "    examples = [(row[\"text\"], row[\"label\"]) for row in csv.DictReader(handle)]")
    pairs = [(ex.text, ex.label) for ex in finetune.parse_examples(csv_text)]
    return "examples = " + json.dumps(pairs, ensure_ascii=False, indent=0).replace("\n", " ")


def classifier(csv_text: str | None, epochs: Any, learning_rate: Any, batch_size: Any,
               labels: str | None = "", freeze_embeddings: bool = True, choice: str | None = None) -> str:
    """Code that trains the same classifier and prints the metrics in finetune.CODE_KEYS."""
    label_names = finetune.check_labels(finetune.parse_examples(csv_text), labels)
    settings = finetune.ClassifierSettings.checked(epochs, learning_rate, batch_size)
    base = loader_location("finetune", choice)
    return _CLASSIFIER.format(
        examples=_examples_source(csv_text), labels=label_names, epochs=settings.epochs,
        learning_rate=settings.learning_rate, batch_size=settings.batch_size, seed=finetune.SEED,
        fraction=finetune.TEST_FRACTION, base=base, train_embeddings=not freeze_embeddings)


def language_model(text: str | None, steps: Any, learning_rate: Any = 1e-3, choice: str | None = None) -> str:
    """Code that trains the same language model and prints loss_start, loss_end, before and after."""
    steps = validate.integer(steps, "steps", 1, limits.LM_STEPS)
    learning_rate = validate.number(learning_rate, "learning rate", limits.FINETUNE_LR_MIN, limits.FINETUNE_LR_MAX)
    if text is None or not text.strip():
        source = f"with open({str(finetune.corpus_path())!r}, encoding=\"utf-8\") as handle:\n    text = handle.read()"
    else:
        source = f"text = {validate.text(text, 'the training text', limits.LM_TEXT_CHARS)!r}"
    return _LM.format(text=source, base=loader_location("generate", choice), block=finetune.LM_BLOCK,
                      batch=finetune.LM_BATCH, steps=steps, learning_rate=learning_rate,
                      words=finetune.LM_PROMPT_WORDS, new_tokens=finetune.LM_NEW_TOKENS, seed=finetune.SEED)


def pairs(sentence1: str, sentence2: str, examples: Any = 3, choice: str | None = None) -> str:
    """Code that builds the same padded pair batch and prints it."""
    batch = finetune.pair_batch(sentence1, sentence2, examples, choice)
    labels = batch["labels"]
    rows = [(a, b, label) for (a, b), label in zip(batch["pairs"], labels)]
    return _PAIRS.format(base=loader_location("finetune", choice), rows=rows, max_tokens=finetune.PAIR_MAX_TOKENS)


def reload(folder: str, text: str = "I would happily come back here.") -> str:
    """Code that loads the saved classifier from its folder and classifies a sentence."""
    return (
        "from transformers import pipeline\n\n"
        f"classifier = pipeline(\"text-classification\", model={folder!r})\n"
        f"scores = classifier({text!r}, top_k=None)\n"
        "print({s[\"label\"]: round(s[\"score\"], 4) for s in scores})\n"
        f"# or serve it in the app: python app.py --model sentiment={folder}\n"
    )


def loader_location(task: str, choice: str | None) -> str:
    return loader.resolve(task, choice).location_for_code
