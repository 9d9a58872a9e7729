"""Zero-shot classification without an NLI head: the text and a hypothesis per label ("This example is
sport.") become sentence embeddings (mean-pooled, L2-normalised, as sentence-transformers makes them), and
each label scores by its hypothesis' cosine similarity to the text.

Single-label: a softmax over the similarities (scale 20, i.e. temperature 0.05), so the labels compete and
sum to 1. Multi-label: each similarity on its own, clipped at 0.

The Zero-shot tab runs this file where its model has no NLI head, and its Show code prints it: it runs on its own.
"""

import torch

SIMILARITY_SCALE = 20.0


def embed(model, tokenizer, sentences: list[str]) -> torch.Tensor:
    """Mean-pooled, L2-normalised sentence embeddings, (sentences, hidden)."""
    batch = tokenizer(sentences, padding=True, truncation=True, max_length=256,
                      return_tensors="pt").to(model.device)  # each (sentences, seq), where the model is
    with torch.inference_mode():
        # (sentences, seq, hidden), pooled in float32 whatever the weights' dtype: the scores then sum to 1
        hidden = model(**batch).last_hidden_state.float()
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (sentences, seq, 1): 0 on the padding
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # (sentences, hidden)
    return torch.nn.functional.normalize(pooled, dim=-1)


def classify(model, tokenizer, text: str, labels: list[str], multi_label: bool, hypothesis: str) -> dict[str, float]:
    """Every label with its score, best first; `hypothesis` is a template such as "This example is {}."."""
    embeddings = embed(model, tokenizer, [text] + [hypothesis.format(label) for label in labels])
    cosine = embeddings[1:] @ embeddings[0]  # (labels,)
    scores = cosine.clamp(min=0) if multi_label else torch.softmax(cosine * SIMILARITY_SCALE, dim=0)
    return dict(sorted(zip(labels, scores.tolist()), key=lambda pair: -pair[1]))
