"""Training a causal language model for a few steps on one text, in plain PyTorch on a transformers model.

The text becomes consecutive blocks of tokens; each step AdamW trains on a few blocks drawn at random
(seeded), each block predicting its own next tokens. Before and after: the loss over the whole text and
the model's greedy continuation of the text's first words.

The Fine-tuning lab runs this file, and its Show code prints it: it runs on its own.
"""

import random

import torch


def blocks(token_ids: list[int], block_size: int) -> list[list[int]]:
    """Consecutive blocks of `block_size` token ids (the tail that does not fill one is dropped,
    unless the text is shorter than a block: then it is the only block)."""
    if len(token_ids) < block_size:
        return [list(token_ids)]
    return [list(token_ids[i:i + block_size]) for i in range(0, len(token_ids) - block_size + 1, block_size)]


def mean_loss(model, text_blocks: list[list[int]], batch_size: int) -> float:
    """The causal-LM loss over all blocks, `batch_size` blocks at a time (logits: (batch, block, vocab))."""
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for start in range(0, len(text_blocks), batch_size):
            # (blocks, block size): all the same length
            batch = torch.tensor(text_blocks[start:start + batch_size], device=model.device)
            total += model(input_ids=batch, labels=batch).loss.item() * len(batch)
    return total / len(text_blocks)


def continuation(model, tokenizer, prompt: str, new_tokens: int) -> str:
    """The model's greedy continuation of `prompt` (deterministic: the same weights give the same text)."""
    inputs = tokenizer(prompt, return_tensors="pt").to(model.device)  # input_ids: (1, prompt tokens)
    with torch.inference_mode():
        ids = model.generate(**inputs, max_new_tokens=new_tokens, do_sample=False,
                             pad_token_id=tokenizer.eos_token_id)
    return tokenizer.decode(ids[0], skip_special_tokens=True)


def train(model, text_blocks: list[list[int]], steps: int, learning_rate: float, batch_size: int, seed: int = 0,
          on_step=None, should_stop=None) -> list[float]:
    """`steps` AdamW steps on seeded random batches of blocks; returns the loss per step.

    on_step(step, steps, loss) is called after each step; training stops once should_stop() is true.
    """
    rng = random.Random(seed)
    torch.manual_seed(seed)  # dropout
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    losses: list[float] = []
    model.train()
    for step in range(1, steps + 1):
        if should_stop and should_stop():
            break
        batch = torch.tensor([text_blocks[rng.randrange(len(text_blocks))] for _ in range(batch_size)],
                             device=model.device)
        loss = model(input_ids=batch, labels=batch).loss  # (batch, block); the model shifts the labels itself
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if on_step:
            on_step(step, steps, losses[-1])
    model.eval()
    return losses


def fine_tune(model, tokenizer, text: str, steps: int, learning_rate: float, block_size: int, batch_size: int,
              prompt_words: int, new_tokens: int, seed: int = 0, on_step=None, should_stop=None) -> dict | None:
    """Train on `text`; the loss over the text and the continuation of its first words, before and after.

    None when should_stop() ended the training early.
    """
    text_blocks = blocks(tokenizer(text)["input_ids"], block_size)
    prompt = " ".join(text.split()[:prompt_words])
    before, loss_start = continuation(model, tokenizer, prompt, new_tokens), mean_loss(model, text_blocks, batch_size)
    losses = train(model, text_blocks, steps, learning_rate, batch_size, seed, on_step, should_stop)
    if should_stop and should_stop():
        return None
    return {"loss_start": round(loss_start, 4), "loss_end": round(mean_loss(model, text_blocks, batch_size), 4),
            "before": before, "after": continuation(model, tokenizer, prompt, new_tokens), "prompt": prompt,
            "steps": len(losses), "losses": [round(loss, 4) for loss in losses]}
