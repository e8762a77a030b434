"""The torch Dataset over a refer-format dataset for training: one item per ref, one sentence sampled per
ref and epoch (the official recipe), negatives get an empty target.

Sampling is a pure function of (seed, epoch, index), so runs are reproducible and N processes see exactly the
samples one process would.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from PIL import Image

from rris_bench import masks
from rris_bench.errors import InputError
from rris_bench.datasets.model import Dataset, sentence_exists

from .image import image_tensor, mask_tensor
from .text import encode


def load_rgb(path) -> np.ndarray:
    """RGB uint8 (H, W, 3) of an image file."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read image: {exc}", path=str(path)) from exc


class ReferTrainDataset(torch.utils.data.Dataset):
    """Items: ``image`` (3,S,S) normalised, ``target`` (S,S) long, ``ids``/``mask`` (L,) long, ``exist``
    float, ``ref_id``, ``sent_id``. Resized images and masks are cached in memory (``cache=True``)."""

    def __init__(self, dataset: Dataset, splits: Sequence[str], size: int, tokenizer, max_tokens: int,
                 seed: int = 0, cache: bool = True, positive_fraction: Optional[float] = None):
        self.dataset, self.size, self.tokenizer, self.max_tokens, self.seed = dataset, size, tokenizer, max_tokens, seed
        self.refs: List[Dict[str, Any]] = [r for r in dataset.refs_in(splits) if r["sentences"]]
        if not self.refs:
            raise InputError(f"no refs with sentences in split(s) {', '.join(splits)}", field="split")
        self.epoch = 0
        self._images: Dict[int, torch.Tensor] = {}
        self._masks: Dict[int, torch.Tensor] = {}
        self.cache = cache
        self.positive_fraction = positive_fraction

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.refs)

    def _image(self, image_id: int) -> torch.Tensor:
        if image_id in self._images:
            return self._images[image_id]
        x = image_tensor(load_rgb(self.dataset.image_path(image_id)), self.size)
        if self.cache:
            self._images[image_id] = x
        return x

    def _mask(self, ref_id: int) -> torch.Tensor:
        if ref_id in self._masks:
            return self._masks[ref_id]
        m = mask_tensor(masks.decode(self.dataset.ref_rle(ref_id)), self.size)
        if self.cache:
            self._masks[ref_id] = m
        return m

    def _choose(self, sentences: List[Dict[str, Any]], rng: np.random.Generator) -> Dict[str, Any]:
        """Uniform over the ref's sentences (official), or a positive with probability ``positive_fraction``."""
        if self.positive_fraction is not None:
            pos = [s for s in sentences if sentence_exists(s)]
            neg = [s for s in sentences if not sentence_exists(s)]
            if pos and neg:
                group = pos if rng.random() < self.positive_fraction else neg
                return group[int(rng.integers(len(group)))]
        return sentences[int(rng.integers(len(sentences)))]

    def __getitem__(self, index: int) -> Dict[str, Any]:
        ref = self.refs[index]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        sent = self._choose(ref["sentences"], rng)
        exists = sentence_exists(sent)
        ids, mask = encode(self.tokenizer, [sent.get("raw") or sent.get("sent", "")], self.max_tokens)
        target = self._mask(ref["ref_id"]) if exists else torch.zeros(self.size, self.size, dtype=torch.long)
        return {"image": self._image(ref["image_id"]), "target": target, "ids": ids[0], "mask": mask[0],
                "exist": torch.tensor(float(exists)), "ref_id": ref["ref_id"], "sent_id": sent["sent_id"]}
