"""model.generate that ends at its next step once the request running it is asked to stop (serving.bridge)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serving import bridge


def criteria(on_step: Callable[[Any], None] | None = None) -> Any:
    """A StoppingCriteriaList for model.generate: every sequence is done once bridge.stop_requested().

    transformers calls it after every step (every strategy, beam search included), so `on_step(input_ids)`
    sees each step's sequences: (sequences or running beams, prompt + new tokens so far).
    """
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class StopWhenAsked(StoppingCriteria):
        def __call__(self, input_ids, scores, **kwargs):  # input_ids: (sequences or beams, length)
            if on_step is not None:
                on_step(input_ids)
            # On the sequences' device: generate() combines it with its own flags there (a GPU's, or the CPU's).
            return torch.full((input_ids.shape[0],), bridge.stop_requested(), dtype=torch.bool,
                              device=input_ids.device)

    return StoppingCriteriaList([StopWhenAsked()])
