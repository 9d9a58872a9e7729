"""An encoder-decoder LSTM translator in plain PyTorch, as in the classic Keras seq2seq tutorial.

Imported only when needed (it imports torch). Self-contained on purpose: the LSTM tab's "Show code"
prints this file, so it runs on its own.
"""

import re

import torch
from torch import nn

SPECIALS = ["<pad>", "<sos>", "<eos>", "<unk>"]
PAD, SOS, EOS, UNK = range(4)
_WORD = re.compile(r"\w+|[^\w\s]")


def words(text: str) -> list[str]:
    """Lower-case words and punctuation marks: "Ich bin's." -> ["ich", "bin", "'", "s", "."]."""
    return _WORD.findall(text.lower())


def detokenize(tokens: list[str]) -> str:
    """Words joined by spaces, with no space before punctuation."""
    return re.sub(r" ([^\w\s])", r"\1", " ".join(tokens))


class Seq2Seq(nn.Module):
    """Encoder LSTM -> its final (h, c) -> decoder LSTM that starts from <sos> and predicts up to <eos>."""

    def __init__(self, source_vocab: int, target_vocab: int, embed: int = 64, hidden: int = 128):
        super().__init__()
        self.source_embed = nn.Embedding(source_vocab, embed, padding_idx=PAD)
        self.encoder = nn.LSTM(embed, hidden, batch_first=True)
        self.target_embed = nn.Embedding(target_vocab, embed, padding_idx=PAD)
        self.decoder = nn.LSTM(embed, hidden, batch_first=True)
        self.out = nn.Linear(hidden, target_vocab)

    def encode(self, source, lengths):
        """source: (batch, source_len) ids, padded -> (h, c), each (1, batch, hidden).

        The whole sentence must fit in these two vectors: the decoder sees nothing else.
        """
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embed(source), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)  # skip the padding
        _, state = self.encoder(packed)
        return state

    def forward(self, source, lengths, target_in):
        """Teacher forcing: target_in is <sos> + the target; returns logits (batch, target_len, vocab)."""
        output, _ = self.decoder(self.target_embed(target_in), self.encode(source, lengths))
        return self.out(output)

    @torch.no_grad()
    def greedy(self, source_ids: list[int], max_len: int) -> list[int]:
        """The likeliest token at each step, fed back in, until <eos> or `max_len` tokens."""
        state = self.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
        token = torch.tensor([[SOS]])  # (1, 1)
        result: list[int] = []
        for _ in range(max_len):
            output, state = self.decoder(self.target_embed(token), state)  # one token per step
            next_id = int(self.out(output[:, -1]).argmax(-1))
            if next_id == EOS:
                break
            result.append(next_id)
            token = torch.tensor([[next_id]])
        return result
