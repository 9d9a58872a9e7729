"""The next-token distribution before and after temperature, top-k and top-p: what generate() samples from.

Self-contained reference code (it needs torch and transformers only): the app's "Why?" tab runs this very function,
and its Show code panel prints this file followed by the call that made the view.

generate() itself produces both: with output_logits it returns the model's raw scores, with output_scores the same
scores after every processor it applied (temperature divides them, top-k and top-p set the cut tokens to -inf).
The softmax of the second is the distribution it then draws the token from. One token is generated to get them.
"""

import torch
from transformers import PreTrainedTokenizerBase


def next_token_distribution(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, prompt: str,
                            temperature: float = 1.0, top_k: int = 50, top_p: float = 1.0, shown: int = 30) -> dict:
    """{tokens, token_ids, raw_probs, final_probs, kept, final_mass_shown} over the `shown` likeliest tokens
    (before processing); top_k=0 and top_p=1 mean off, as in generate()."""
    inputs = tokenizer(prompt, return_tensors="pt").to(model.device)  # input_ids: (1, prompt_len)
    with torch.inference_mode():
        output = model.generate(**inputs, max_new_tokens=1, do_sample=True, temperature=temperature, top_k=top_k,
                                top_p=top_p, pad_token_id=tokenizer.eos_token_id, output_logits=True,
                                output_scores=True, return_dict_in_generate=True)
    raw = output.logits[0][0].float().softmax(-1)  # (vocab,): the model's own distribution
    final = output.scores[0][0].float().softmax(-1)  # (vocab,): after the processors; cut tokens are 0
    top = raw.argsort(descending=True, stable=True)[:shown]  # likeliest first; ties by token id (bfloat16 has many)
    return {
        "tokens": [tokenizer.decode([token]) for token in top.tolist()],
        "token_ids": top.tolist(),
        "raw_probs": raw[top].tolist(),
        "final_probs": final[top].tolist(),
        "kept": int((final > 0).sum()),  # tokens generate() can still draw
        "final_mass_shown": float(final[top].sum()),
    }
