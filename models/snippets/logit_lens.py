"""The logit lens: what a GPT-2 model would predict if it stopped after each layer.

Self-contained reference code (it needs torch and transformers only): the app's "Why?" tab runs this very function,
and its Show code panel prints this file followed by the call that made the view.

Every layer adds to one running vector per position (the residual stream). GPT-2 turns the last one into next-token
scores with its final layer norm and its language-model head; applying the same two to the vector after each layer
shows how the guess forms, layer by layer (nostalgebraist, 2020). transformers returns the last hidden state with
the final norm already applied, so the last row is exactly the model's own prediction.
"""

import torch
from transformers import PreTrainedTokenizerBase


def logit_lens(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, text: str) -> dict:
    """{tokens, layers, top_tokens, top_ids, top_probs}: for each layer (0 = the embeddings) and each position,
    the likeliest next token and its probability; rows are layers, columns positions."""
    inputs = tokenizer(text, return_tensors="pt").to(model.device)  # input_ids: (1, seq), where the model is
    with torch.inference_mode():
        output = model(**inputs, output_hidden_states=True)
        norm, head = model.transformer.ln_f, model.get_output_embeddings()
        # hidden_states: (layers + 1) x (1, seq, dim); all but the last still need the final norm.
        logits = [head(norm(hidden)) for hidden in output.hidden_states[:-1]] + [output.logits]
        probs = torch.cat(logits).float().softmax(-1)  # (layers + 1, seq, vocab)
    top_probs, top_ids = probs.max(-1)  # each (layers + 1, seq)
    return {
        "tokens": [tokenizer.decode([token]) for token in inputs["input_ids"][0].tolist()],
        "layers": list(range(len(logits))),
        "top_tokens": [[tokenizer.decode([token]) for token in row] for row in top_ids.tolist()],
        "top_ids": top_ids.tolist(),
        "top_probs": top_probs.tolist(),
    }
