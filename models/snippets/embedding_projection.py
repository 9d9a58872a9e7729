"""Sentences as points: each one's mean-pooled vector at one layer, projected to 2-D by PCA.

Self-contained reference code (it needs torch, transformers and numpy only): the app's "Why?" tab runs this very
function, and its Show code panel prints this file followed by the call that made the view.

A sentence's vector is the mean of its token vectors at that layer (padding left out, as sentence-transformers
pools). PCA centres the vectors and keeps the two directions along which they vary most (the first right singular
vectors); each axis's share of the total variance says how much of the picture the plane shows. A singular vector's
sign is arbitrary: each is flipped so that its largest component is positive, which makes the picture repeatable.
"""

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase


def sentence_vectors(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, sentences: list[str],
                     layer: int) -> np.ndarray:
    """(sentences, dim): the mean of each sentence's token vectors after `layer` (0 = the embeddings, -1 = last)."""
    batch = tokenizer(sentences, padding=True, return_tensors="pt").to(model.device)  # each (sentences, longest)
    with torch.inference_mode():
        hidden = model(**batch, output_hidden_states=True).hidden_states[layer]  # (sentences, longest, dim)
    mask = batch["attention_mask"][..., None].to(hidden.dtype)  # (sentences, longest, 1): 0 on padding
    return ((hidden * mask).sum(1) / mask.sum(1)).double().cpu().numpy()


def pca(vectors: np.ndarray, components: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, components), explained variance ratio (components,)) of the centred vectors."""
    centred = vectors - vectors.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)  # directions: (n, dim), rows unit
    directions = directions[:components]
    signs = np.sign(directions[np.arange(len(directions)), np.abs(directions).argmax(axis=1)])
    directions = directions * signs[:, None]
    variance = singular**2
    return centred @ directions.T, variance[:components] / variance.sum()


def project(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, sentences: list[str], layer: int = -1) -> dict:
    """{sentences, layer, points [[x, y], ...], explained_variance [first axis, second axis]}."""
    vectors = sentence_vectors(model, tokenizer, sentences, layer)
    points, explained = pca(vectors)
    return {
        "sentences": sentences,
        "layer": layer,
        "points": points.tolist(),
        "explained_variance": explained.tolist(),
    }
