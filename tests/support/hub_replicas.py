"""Replicas of every Hub checkpoint in models/registry.py, laid out as on the real Hub, for the local Hub to serve.

Each replica has the real repo's model class, label maps, special tokens, tokenizer files and config facts
(task_specific_params, position table size, generation settings), the real vocabulary where the offline pack has
it (bert-base-uncased's WordPiece from MiniLM, GPT-2's byte-level BPE) and otherwise a small one trained here
with the same tokenizer class and special tokens, tiny random weights (hidden 32, 2 layers), and the real repo's
file layout: what is on main, and where the safetensors weights live (on main, or only in an open SFconvertbot
pull request "Adding `safetensors` variant of this model" opened on today's main or on an older one).

Every fact below was looked up in November 2026 (search tool, docs corpus: the Hub's model pages, file views,
commit lists and discussions) and is cited beside it; what a replica does NOT copy is said where it matters.
`build(folder)` writes the files and returns local_hub.Repo objects; it takes a few seconds.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.offline import entry_path, seq2seq, sources, tiny
from models.offline.seq2seq import T5_TASK_PARAMS
from models.registry import REGISTRY, TOKENIZERS
from tests.support.local_hub import Blob, Repo

SF_TITLE = "Adding `safetensors` variant of this model"  # the title transformers looks for
SF_BOT = "SFconvertbot"
# In a Marian replica's config: the pad id and size of its locally trained vocabulary (the real: 58100 and 58101).
PAD, SIZE = "$pad", "$size"
HF = "https://huggingface.co/"

TINY_SIZES: dict[str, dict[str, int]] = {  # hidden 32, 2 layers, 2 heads, per config class's own key names
    "bert": tiny.TINY,
    "roberta": tiny.TINY,
    "distilbert": {"dim": 32, "n_layers": 2, "n_heads": 2, "hidden_dim": 64},
    "gpt2": {"n_embd": 32, "n_layer": 2, "n_head": 2},
    "t5": {"d_model": 32, "d_kv": 16, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2, "num_heads": 2},
    "bart": {"d_model": 32, "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 2,
             "decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64},
}
TINY_SIZES["marian"] = TINY_SIZES["bart"]
# Config keys the model is built with (the rest of a replica's config facts are written into config.json after).
BUILD_KEYS = {"vocab_size", "max_position_embeddings", "n_positions", "type_vocab_size", "pad_token_id",
              "bos_token_id", "eos_token_id", "decoder_start_token_id", "id2label", "label2id", "decoder_vocab_size",
              "sinusoidal_pos_embds", "feed_forward_proj", "scale_embedding", "activation_function"}


@dataclass(frozen=True)
class Replica:
    """One checkpoint as the real Hub has it; `source` says where the facts come from."""

    hub_id: str
    architecture: str  # the class in config.json's "architectures"
    vocabulary: str  # bert-uncased | bert-cased | gpt2 | roberta | t5 | marian (see _Vocabularies)
    config: dict[str, Any]  # keys of the published config.json that matter here, written over the tiny model's
    tokenizer_files: dict[str, str | None]  # file -> its published content; None: made from the vocabulary
    other_files: tuple[str, ...]  # also on main, never loaded by transformers (placeholders here)
    source: str
    generation_config: dict[str, Any] | None = None  # generation_config.json, where main has one
    safetensors_on_main: bool = True
    pulls: tuple[tuple[int, bool], ...] = ()  # SFconvertbot PRs: (number, opened on today's main head?)


# Published contents of small tokenizer files, shared by several repos.
BERT_SPECIALS = '{"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", ' \
                '"mask_token": "[MASK]"}'
ROBERTA_SPECIALS = json.dumps({
    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>", "pad_token": "<pad>",
    "cls_token": "<s>", "mask_token": {"content": "<mask>", "single_word": False, "lstrip": True, "rstrip": False,
                                      "normalized": False}})
GPT2_GENERATION = {"_from_model_config": True, "bos_token_id": 50256, "eos_token_id": 50256}
GPT2_CONFIG = {  # openai-community/gpt2 config.json (665 B)
    "model_type": "gpt2", "activation_function": "gelu_new", "vocab_size": 50257, "n_positions": 1024,
    "n_ctx": 1024, "bos_token_id": 50256, "eos_token_id": 50256,
    "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
}
# Helsinki-NLP/opus-mt-en-* config.json: MarianMTModel, ids from vocab.json (</s>=0, <pad> last), as their fine-tunes
# copy it (en-de: enimai/opus-mt-en-de-finetuned-en-to-de, 58101 tokens; en-fr: sgugger/marian-finetuned-kde4-en-to-fr,
# 59514 tokens, scale_embedding and static_position_embeddings true).
MARIAN_CONFIG = {
    "model_type": "marian", "vocab_size": SIZE, "decoder_vocab_size": SIZE, "max_position_embeddings": 512,
    "pad_token_id": PAD, "decoder_start_token_id": PAD, "eos_token_id": 0, "bos_token_id": 0,
    "forced_eos_token_id": 0, "bad_words_ids": [[PAD]], "max_length": 512, "num_beams": 4,
    "activation_function": "swish", "scale_embedding": True, "static_position_embeddings": True,
    "normalize_embedding": False,
}
MARIAN_GENERATION = {  # generation_config.json (293 B, "set renormalize_logits=True", joaogante)
    "bad_words_ids": [[PAD]], "bos_token_id": 0, "decoder_start_token_id": PAD, "eos_token_id": 0,
    "forced_eos_token_id": 0, "max_length": 512, "num_beams": 4, "pad_token_id": PAD, "renormalize_logits": True,
}
# config.json keys shared by a family (the published values: vocabulary size, position table, special ids).
ROBERTA = {"model_type": "roberta", "vocab_size": 50265, "max_position_embeddings": 514, "type_vocab_size": 1,
           "pad_token_id": 1, "bos_token_id": 0, "eos_token_id": 2}
DISTILBERT_UNCASED = {"model_type": "distilbert", "vocab_size": 30522, "max_position_embeddings": 512,
                      "pad_token_id": 0}
DISTILBERT_CASED = {**DISTILBERT_UNCASED, "vocab_size": 28996}
NER_LABELS = dict(enumerate(tiny.NER_LABELS))  # dslim/bert-base-NER's id2label (NOTES.md, "Real checkpoints")
DISTILBERT_NER_LABELS = dict(enumerate(("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC",
                                        "I-MISC")))


def _labels(id2label: dict[int, str]) -> dict[str, dict]:
    return {"id2label": {str(i): label for i, label in id2label.items()},
            "label2id": {label: i for i, label in id2label.items()}}


REPLICAS: dict[str, Replica] = {r.hub_id: r for r in (
    Replica(
        "distilbert/distilbert-base-uncased-finetuned-sst-2-english", "DistilBertForSequenceClassification",
        "bert-uncased",
        {**DISTILBERT_UNCASED, "finetuning_task": "sst-2", **_labels({0: "NEGATIVE", 1: "POSITIVE"})},
        {"tokenizer_config.json": '{"model_max_length": 512, "do_lower_case": true}', "vocab.txt": None},
        ("map.jpeg", "onnx/model.onnx", "rust_model.ot", "tf_model.h5"),
        source=f"{HF}distilbert/distilbert-base-uncased-finetuned-sst-2-english/tree/main (714eb0f: safetensors "
               "merged in #12; tokenizer_config.json 48 B and vocab.txt only, no tokenizer.json); config.json as "
               "copied in fine-tunes (NEGATIVE/POSITIVE, vocab 30522)",
    ),
    Replica(
        "cardiffnlp/twitter-roberta-base-sentiment-latest", "RobertaForSequenceClassification", "roberta",
        {**ROBERTA, **_labels({0: "negative", 1: "neutral", 2: "positive"})},
        {"special_tokens_map.json": ROBERTA_SPECIALS, "vocab.json": None, "merges.txt": None},
        ("tf_model.h5",),
        source=f"{HF}cardiffnlp/twitter-roberta-base-sentiment-latest/tree/main (4ba3d44 'Add references', 15 "
               "commits: pytorch_model.bin and tf_model.h5, no safetensors, no tokenizer_config.json); /commits/"
               "refs%2Fpr%2F10 (c0584c1 by SFconvertbot on 4ba3d44 = today's main); /discussions/8 and "
               "/tree/1c1bc20 (PR 8 by SFconvertbot on f8f8214 'Add dataset', an older main); labels from the "
               "config.json its duplicates copy (negative/neutral/positive)",
        # The discussions page later lists #34 by SFconvertbot too; its parent is unknown: not replicated.
        safetensors_on_main=False, pulls=((8, False), (10, True)),
    ),
    Replica(
        "dslim/bert-base-NER", "BertForTokenClassification", "bert-cased",
        {"model_type": "bert", "vocab_size": 28996, "max_position_embeddings": 512, "type_vocab_size": 2,
         "pad_token_id": 0, **_labels(NER_LABELS)},
        {"tokenizer_config.json": '{"do_lower_case": false, "max_len": 512, "init_inputs": []}',
         "special_tokens_map.json": BERT_SPECIALS, "added_tokens.json": "{}", "vocab.txt": None},
        ("flax_model.msgpack", "tf_model.h5"),
        source=f"{HF}dslim/bert-base-ner/tree/7a1d333 (safetensors merged in #8; added_tokens.json 2 B, "
               "special_tokens_map.json 112 B, tokenizer_config.json 59 B with the legacy max_len, vocab.txt "
               "213 kB = cased 28,996); labels: NOTES.md",
    ),
    Replica(
        "dslim/distilbert-NER", "DistilBertForTokenClassification", "bert-cased",
        {**DISTILBERT_CASED, **_labels(DISTILBERT_NER_LABELS)},
        {"tokenizer_config.json": None, "special_tokens_map.json": BERT_SPECIALS, "tokenizer.json": None,
         "vocab.txt": None},
        ("onnx/model.onnx", "runs/events.out.tfevents", "training_args.bin"),
        source=f"{HF}dslim/distilbert-NER/tree/refs%2Fpr%2F4 and /commit/9fb26d1 (PR #4 'Fix config to use the "
               "correct B/I/O label names', merged per /discussions/3: O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, "
               "I-LOC, B-MISC, I-MISC, another order than bert-base-NER's); model.safetensors on main; its "
               "tokenizer_config.json (1.2 kB, written by the Trainer) is regenerated here",
    ),
    Replica(
        "facebook/bart-large-mnli", "BartForSequenceClassification", "roberta",
        {"model_type": "bart", "vocab_size": 50265, "max_position_embeddings": 1024, "pad_token_id": 1,
         "bos_token_id": 0, "eos_token_id": 2, "decoder_start_token_id": 2, "forced_eos_token_id": 2,
         **_labels({0: "contradiction", 1: "neutral", 2: "entailment"})},
        {"tokenizer_config.json": '{"model_max_length": 1024}', "tokenizer.json": None, "vocab.json": None,
         "merges.txt": None},
        ("flax_model.msgpack", "rust_model.ot"),
        source=f"{HF}facebook/bart-large-mnli/tree/refs%2Fpr%2F38 (main's files: safetensors merged in #5, "
               "tokenizer.json moved from roberta-large, tokenizer_config.json 26 B); labels: NOTES.md",
    ),
    Replica(
        "cross-encoder/nli-distilroberta-base", "RobertaForSequenceClassification", "roberta",
        {**ROBERTA, **_labels({0: "contradiction", 1: "entailment", 2: "neutral"})},
        {"tokenizer_config.json": '{"model_max_length": 512}', "special_tokens_map.json": ROBERTA_SPECIALS,
         "vocab.json": None, "merges.txt": None},
        ("CESoftmaxAccuracyEvaluator_AllNLI-dev_results.csv", "flax_model.msgpack", "onnx/model.onnx",
         "openvino/openvino_model.bin", "openvino/openvino_model.xml"),
        source=f"{HF}cross-encoder/nli-distilroberta-base/tree/main (b14d131, 20 commits: safetensors merged "
               "from #2, onnx/ and openvino/ added; tokenizer_config.json = {{\"model_max_length\": 512}}); labels "
               "as in the sibling cross-encoder/nli-roberta-base's config (contradiction, entailment, neutral)",
    ),
    Replica(
        "google-bert/bert-base-uncased", "BertForMaskedLM", "bert-uncased",
        {"model_type": "bert", "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2,
         "pad_token_id": 0},
        {"tokenizer_config.json": '{"do_lower_case": true}', "tokenizer.json": None, "vocab.txt": None},
        ("LICENSE", "coreml/fill-mask/float32_model.mlpackage/Data/com.apple.CoreML/model.mlmodel",
         "flax_model.msgpack", "model.onnx", "rust_model.ot", "tf_model.h5"),
        source=f"{HF}google-bert/bert-base-uncased/tree/refs%2Fpr%2F50 (main's files: safetensors from #15, "
               "model.onnx from #40, coreml/ from #42; config.json 570 B; tokenizer_config.json 28 B)",
    ),
    Replica(
        "distilbert/distilroberta-base", "RobertaForMaskedLM", "roberta",
        ROBERTA,
        {"tokenizer_config.json": '{"model_max_length": 512}', "tokenizer.json": None, "vocab.json": None,
         "merges.txt": None},
        ("dict.txt", "flax_model.msgpack", "rust_model.ot", "tf_model.h5"),
        source=f"{HF}distilbert/distilroberta-base/tree/fb53ab8 (safetensors from #2; tokenizer_config.json "
               "25 B added by #4 = {{\"model_max_length\": 512}}, see /blob/refs%2Fpr%2F5/tokenizer_config.json)",
    ),
    Replica(
        "openai-community/gpt2", "GPT2LMHeadModel", "gpt2", GPT2_CONFIG,
        {"tokenizer_config.json": '{"model_max_length": 1024}', "tokenizer.json": None, "vocab.json": None,
         "merges.txt": None},
        ("64-8bits.tflite", "64-fp16.tflite", "64.tflite", "flax_model.msgpack", "onnx/decoder_model.onnx",
         "rust_model.ot", "tf_model.h5"),
        source=f"{HF}gpt2/tree/main (607a30d, 26 commits: model.safetensors from #12, generation_config.json "
               "124 B, tokenizer_config.json from #80, onnx/, tflite); task_specific_params as the offline pack",
        generation_config=GPT2_GENERATION,
    ),
    Replica(
        "distilbert/distilgpt2", "GPT2LMHeadModel", "gpt2", GPT2_CONFIG,
        {"tokenizer_config.json": '{"model_max_length": 1024}', "tokenizer.json": None, "vocab.json": None,
         "merges.txt": None},
        ("64.tflite", "coreml/text-generation/float32_model.mlpackage/Data/com.apple.CoreML/model.mlmodel",
         "coreml_model.mlmodel", "flax_model.msgpack", "generation_config_for_text_generation.json",
         "rust_model.ot", "tf_model.h5"),
        source=f"{HF}distilgpt2/tree/main (2290a62, 30 commits: safetensors from #7, tokenizer_config.json from "
               "#11, generation_config.json 124 B = bos/eos 50256 per /blob/38cc92e/generation_config.json)",
        generation_config=GPT2_GENERATION,
    ),
    Replica(
        "distilbert/distilbert-base-cased-distilled-squad", "DistilBertForQuestionAnswering", "bert-cased",
        DISTILBERT_CASED,
        {"tokenizer_config.json": '{"do_lower_case": false}', "tokenizer.json": None, "vocab.txt": None},
        ("openvino_model.bin", "openvino_model.xml", "rust_model.ot", "saved_model.tar.gz", "tf_model.h5"),
        source=f"{HF}distilbert/distilbert-base-cased-distilled-squad/tree/50ba811 (safetensors from #7, "
               "OpenVINO from #8; config.json 473 B) and /blob/main/tokenizer_config.json (29 B)",
    ),
    Replica(
        "deepset/roberta-base-squad2", "RobertaForQuestionAnswering", "roberta",
        {**ROBERTA, "language": "english", "name": "Roberta"},
        {"tokenizer_config.json": None, "special_tokens_map.json": ROBERTA_SPECIALS, "vocab.json": None,
         "merges.txt": None},
        ("flax_model.msgpack", "rust_model.ot", "tf_model.h5"),
        source=f"{HF}deepset/roberta-base-squad2 (tags Safetensors; commit history /commits/0e7b626; config "
               "keys as copied by its fine-tunes, e.g. pminha/roberta-base-squad2-p10); its tokenizer_config."
               "json (190 B) was not read: regenerated here with model_max_length 512",
    ),
    Replica(
        "sshleifer/distilbart-cnn-12-6", "BartForConditionalGeneration", "roberta",
        {"model_type": "bart", "vocab_size": 50265, "max_position_embeddings": 1024, "extra_pos_embeddings": 2,
         **seq2seq.BART_GENERATION, "prefix": " ", "normalize_before": False,
         "static_position_embeddings": False, "force_bos_token_to_be_generated": True,
         "task_specific_params": {"summarization": {
             k: v for k, v in seq2seq.BART_GENERATION.items() if not k.endswith("_id")}}},
        {"tokenizer_config.json": '{"model_max_length": 1024}', "vocab.json": None, "merges.txt": None},
        ("flax_model.msgpack", "rust_model.ot"),
        source=f"{HF}sshleifer/distilbart-cnn-12-6/tree/refs%2Fpr%2F18 and /commits/refs%2Fpr%2F18 (PR 18 by "
               "SFconvertbot, 6c1a5ba, on a4f8f3e 'add flax model' = today's main); /tree/refs%2Fpr%2F13 (PR 13, "
               "same parent, also open); main: pytorch_model.bin only, no tokenizer.json, no generation_config."
               "json (generation settings top-level in config.json, as datien228/distilbart-cnn-12-6-ftn-multi_"
               "news copies them)",
        safetensors_on_main=False, pulls=((13, True), (18, True)),
    ),
    Replica(
        "google-t5/t5-small", "T5ForConditionalGeneration", "t5",
        {"model_type": "t5", "vocab_size": 32128, "n_positions": 512, "pad_token_id": 0, "eos_token_id": 1,
         "decoder_start_token_id": 0, "feed_forward_proj": "relu",
         "task_specific_params": json.loads(json.dumps(T5_TASK_PARAMS))},
        {"tokenizer.json": None, "spiece.model": None},
        ("flax_model.msgpack", "onnx/decoder_model.onnx", "onnx/encoder_model.onnx", "rust_model.ot",
         "tf_model.h5"),
        source=f"{HF}google-t5/t5-small/tree/2152660 (33 commits: safetensors from #11, onnx/ from #13, "
               "generation_config.json 147 B, spiece.model, tokenizer.json, no tokenizer_config.json); "
               "task_specific_params: NOTES.md",
        generation_config={"_from_model_config": True, "decoder_start_token_id": 0, "eos_token_id": 1,
                           "pad_token_id": 0},
    ),
    Replica(
        "Helsinki-NLP/opus-mt-en-de", "MarianMTModel", "marian", MARIAN_CONFIG,
        {"tokenizer_config.json": '{"target_lang": "de", "source_lang": "en"}', "source.spm": None,
         "target.spm": None, "vocab.json": None},
        ("flax_model.msgpack", "metadata.json", "rust_model.ot", "tf_model.h5"),
        source=f"{HF}Helsinki-NLP/opus-mt-en-de/tree/af813a1 (pytorch_model.bin only, tokenizer_config.json "
               "42 B, source/target.spm, vocab.json); PR 4 by SFconvertbot opened on an older main (issue 15); "
               "config: its fine-tunes' copies (58101 tokens, pad 58100, bad_words_ids [[58100]], 4 beams)",
        generation_config=MARIAN_GENERATION, safetensors_on_main=False, pulls=((4, False),),
    ),
    Replica(
        "Helsinki-NLP/opus-mt-en-fr", "MarianMTModel", "marian", MARIAN_CONFIG,
        {"tokenizer_config.json": '{"target_lang": "fr", "source_lang": "en"}', "source.spm": None,
         "target.spm": None, "vocab.json": None},
        ("flax_model.msgpack", "tf_model.h5"),
        source=f"{HF}Helsinki-NLP/opus-mt-en-fr/tree/refs%2Fpr%2F5 (f0fc614 by SFconvertbot, 34 commits, on "
               "'pipeline_tag: translation' = today's main) and /tree/refs%2Fpr%2F2 (4332b70, 33 commits, on "
               "the main before it); the model page has no Safetensors tag: main has pytorch_model.bin only",
        generation_config=MARIAN_GENERATION, safetensors_on_main=False, pulls=((2, False), (5, True)),
    ),
    Replica(
        "Helsinki-NLP/opus-mt-en-ro", "MarianMTModel", "marian", MARIAN_CONFIG,
        {"tokenizer_config.json": '{"target_lang": "ro", "source_lang": "en"}', "source.spm": None,
         "target.spm": None, "vocab.json": None},
        ("tf_model.h5",),
        source=f"{HF}Helsinki-NLP/opus-mt-en-ro/tree/refs%2Fpr%2F1 (077edad by SFconvertbot, 30 commits, on "
               "main's 'Adding generation config file(s)'; no later main commit found) and /commits/68b8ff6",
        generation_config=MARIAN_GENERATION, safetensors_on_main=False, pulls=((1, True),),
    ),
    Replica(
        "distilbert/distilbert-base-uncased", "DistilBertForMaskedLM", "bert-uncased",
        DISTILBERT_UNCASED,
        {"tokenizer_config.json": '{"do_lower_case": true, "model_max_length": 512}', "tokenizer.json": None,
         "vocab.txt": None},
        ("LICENSE", "flax_model.msgpack", "rust_model.ot", "tf_model.h5"),
        source=f"{HF}distilbert-base-uncased/tree/main (12040ac, 22 commits: safetensors from #6, "
               "tokenizer_config.json 48 B fixed by #12, config.json 483 B)",
    ),
)}


def registry_checkpoints() -> list[str]:
    """Every Hub id the registry names: each task's default and alternatives, and the explorer's tokenizers."""
    ids = [c for spec in REGISTRY.values() for c in spec.checkpoints] + [t.hub_id for t in TOKENIZERS.values()]
    return list(dict.fromkeys(ids))


# ---- building ---------------------------------------------------------------------------------

class _Vocabularies:
    """Each vocabulary's tokenizer files, made once into `folder`: file name -> path."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[str, dict[str, Path]] = {}

    def files(self, vocabulary: str) -> dict[str, Path]:
        if vocabulary not in self._made:
            target = self.folder / vocabulary
            target.mkdir(parents=True, exist_ok=True)
            getattr(self, "_" + vocabulary.replace("-", "_"))(target)
            self._made[vocabulary] = {p.name: p for p in target.iterdir()}
        return self._made[vocabulary]

    def marian_pad(self) -> int:
        """The pad id of the Marian vocabulary: its last id, as in the real vocab.json."""
        vocab = json.loads(self.files("marian")["vocab.json"].read_text(encoding="utf-8"))
        return vocab["<pad>"]

    @staticmethod
    def _fast(folder: Path, tokenizer_class: str, **kwargs) -> None:
        """Write tokenizer.json beside the vocabulary files (loading the folder: see NOTES.md on file paths)."""
        import transformers

        fast = getattr(transformers, tokenizer_class).from_pretrained(folder, **kwargs)
        fast.backend_tokenizer.save(str(folder / "tokenizer.json"))

    def _bert_uncased(self, folder: Path) -> None:
        shutil.copyfile(sources.minilm_dir() / "vocab.txt", folder / "vocab.txt")  # bert-base-uncased's, exactly
        self._fast(folder, "BertTokenizerFast", do_lower_case=True)

    def _bert_cased(self, folder: Path) -> None:
        from tokenizers import BertWordPieceTokenizer

        # No wheel ships bert-base-cased's 28,996-piece vocabulary: a cased WordPiece trained on the project's text.
        trainer = BertWordPieceTokenizer(lowercase=False, strip_accents=False)
        trainer.train_from_iterator(_corpus(), vocab_size=2000, min_frequency=1,
                                    special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        trainer.save_model(str(folder))
        self._fast(folder, "BertTokenizerFast", do_lower_case=False)

    def _gpt2(self, folder: Path) -> None:
        vocab, merges = sources.gpt2_vocab_files()  # GPT-2's own vocab.json and merges.txt, byte for byte
        shutil.copyfile(vocab, folder / "vocab.json")
        shutil.copyfile(merges, folder / "merges.txt")
        self._fast(folder, "GPT2TokenizerFast")

    def _roberta(self, folder: Path) -> None:
        # RoBERTa/BART: GPT-2's tokens and merges under <s>=0 <pad>=1 </s>=2 <unk>=3, <mask> last (the offline
        # pack's tiny-bart vocabulary; the real one orders the tokens by fairseq's frequencies, no wheel ships it).
        for name in ("vocab.json", "merges.txt"):
            shutil.copyfile(entry_path("tiny-bart") / name, folder / name)
        self._fast(folder, "RobertaTokenizerFast")

    def _t5(self, folder: Path) -> None:
        for name in ("spiece.model", "tokenizer.json"):  # the offline pack's locally trained SentencePiece
            shutil.copyfile(entry_path("tiny-t5") / name, folder / name)

    def _marian(self, folder: Path) -> None:
        import sentencepiece as spm

        # Marian: a SentencePiece model per side and one vocab.json: </s>=0, <unk>=1, the pieces, <pad> last.
        model = seq2seq.train_sentencepiece(folder)
        processor = spm.SentencePieceProcessor(model_file=str(model))
        pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
        ordered = ["</s>", "<unk>", *(p for p in pieces if p not in ("</s>", "<unk>", "<pad>")), "<pad>"]
        (folder / "vocab.json").write_text(json.dumps({p: i for i, p in enumerate(ordered)}), encoding="utf-8")
        shutil.copyfile(model, folder / "source.spm")
        model.replace(folder / "target.spm")  # the same pieces on both sides: the weights are random anyway


def _corpus() -> Iterator[str]:
    """The project's own English text (written for it), a sentence per item."""
    text = (sources.assets_dir() / "lm_corpus.txt").read_text(encoding="utf-8")
    yield from (part.strip() for part in text.split(". ") if part.strip())


def _with_pad(value: Any, pad: int) -> Any:
    """`value` with the PAD and SIZE markers replaced by the vocabulary's pad id and size (pad id + 1)."""
    if value in (PAD, SIZE):
        return pad if value == PAD else pad + 1
    if isinstance(value, list):
        return [_with_pad(item, pad) for item in value]
    if isinstance(value, dict):
        return {key: _with_pad(item, pad) for key, item in value.items()}
    return value


def _model_files(replica: Replica, facts: dict[str, Any], folder: Path) -> None:
    """config.json, model.safetensors and pytorch_model.bin of a tiny model of the replica's class."""
    import torch
    import transformers

    model_type = facts["model_type"]
    built = {k: v for k, v in facts.items() if k in BUILD_KEYS}
    config = transformers.CONFIG_MAPPING[model_type](**built, **TINY_SIZES[model_type])
    torch.manual_seed(0)
    model = getattr(transformers, replica.architecture)(config)
    model.save_pretrained(folder, safe_serialization=True)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    published = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    published.update(facts, architectures=[replica.architecture])
    (folder / "config.json").write_text(json.dumps(published, indent=2), encoding="utf-8")
    (folder / "generation_config.json").unlink(missing_ok=True)  # only where the real repo has one (below)


def _placeholder(path: Path, name: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"Replica placeholder for {name}: the real repo has this file; from_pretrained never needs it.\n")
    return path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_replica(replica: Replica, folder: Path, vocabularies: _Vocabularies) -> Repo:
    """Write one replica's files under `folder` and return its repo: main's history and its pull requests."""
    folder.mkdir(parents=True, exist_ok=True)
    pad = vocabularies.marian_pad() if replica.vocabulary == "marian" else None
    facts = _with_pad(replica.config, pad) if pad is not None else replica.config
    _model_files(replica, facts, folder / "model")

    files: dict[str, Path] = {"config.json": folder / "model" / "config.json",
                              "pytorch_model.bin": folder / "model" / "pytorch_model.bin"}
    made = vocabularies.files(replica.vocabulary)
    for name, content in replica.tokenizer_files.items():
        if content is not None:
            files[name] = _write(folder / "files" / name, content)
        elif name in made:
            files[name] = made[name]
        else:  # a tokenizer_config.json that transformers itself writes for this tokenizer
            files[name] = _saved_tokenizer_config(folder, made)
    if replica.generation_config is not None:
        generation = _with_pad(replica.generation_config, pad) if pad is not None else replica.generation_config
        files["generation_config.json"] = _write(folder / "files" / "generation_config.json", json.dumps(generation))
    for name in replica.other_files:
        files[name] = _placeholder(folder / "files" / name, name)
    safetensors = folder / "model" / "model.safetensors"

    repo = Repo(replica.hub_id)
    attributes = "*.bin filter=lfs diff=lfs merge=lfs -text\n*.h5 filter=lfs diff=lfs merge=lfs -text\n"
    repo.commit("initial commit", {".gitattributes": Blob.of(_write(folder / "a0", attributes), ".gitattributes")})
    uploaded = {name: Blob.of(path, name) for name, path in files.items()}
    if replica.safetensors_on_main:
        uploaded["model.safetensors"] = Blob.of(safetensors, "model.safetensors")
    uploaded["README.md"] = Blob.of(_write(folder / "r0", f"# {replica.hub_id}\n"), "README.md")
    older = repo.commit("Upload model", uploaded)
    readme = _write(folder / "r1", f"# {replica.hub_id}\n\nA replica for tests. Facts: {replica.source}\n")
    repo.commit("Update README.md", {"README.md": Blob.of(readme, "README.md")})
    with_sf = _write(folder / "a1", attributes + "model.safetensors filter=lfs diff=lfs merge=lfs -text\n")
    for num, on_head in replica.pulls:
        repo.open_pull(num, SF_TITLE, {"model.safetensors": Blob.of(safetensors, "model.safetensors"),
                                       ".gitattributes": Blob.of(with_sf, ".gitattributes")},
                       SF_BOT, parent=None if on_head else older)
    return repo


def _saved_tokenizer_config(folder: Path, made: dict[str, Path]) -> Path:
    """tokenizer_config.json as transformers saves it (for repos whose file was written by a Trainer)."""
    from transformers import AutoTokenizer

    scratch = folder / "tokenizer"
    scratch.mkdir(parents=True, exist_ok=True)
    for name, path in made.items():
        shutil.copyfile(path, scratch / name)
    shutil.copyfile(folder / "model" / "config.json", scratch / "config.json")
    AutoTokenizer.from_pretrained(scratch, model_max_length=512).save_pretrained(scratch)
    return scratch / "tokenizer_config.json"


def build(folder: Path, hub_ids: list[str] | None = None) -> list[Repo]:
    """Write the replicas (all of them, or those named) under `folder`; the repos for a LocalHub."""
    vocabularies = _Vocabularies(folder / "vocabularies")
    names = hub_ids or list(REPLICAS)
    return [build_replica(REPLICAS[name], folder / name.replace("/", "--"), vocabularies) for name in names]
