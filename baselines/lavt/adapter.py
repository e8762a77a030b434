"""The ``lavt`` and ``lavt-plus`` adapters: a checkpoint in, (mask or None, existence score) per sample out.

Images are resized to the preset's square input (480 for ``swin-b``) and normalised with the ImageNet mean and
std, as LAVT-RIS does; the object probability (softmax of the two-class logits) is resized back to the image's
original size (bilinear) and thresholded at 0.5, i.e. the argmax (``common.image.decide``). LAVT has no
existence output: it always answers with its mask (None only when no pixel wins) and no score. LAVT+ answers
None when its existence score is below ``threshold``.
"""
from __future__ import annotations

from typing import List, Optional

from rris_bench.run.adapters import Adapter, Prediction, Sample
from rris_bench.errors import InputError


class LAVTAdapter(Adapter):
    """LAVT (Yang et al., CVPR 2022): RIS model, always answers with a mask."""

    name = "lavt"
    description = "LAVT (CVPR 2022): always answers with a mask. --opt checkpoint=PATH [preset=swin-b bert=DIR]"
    batch_size = 8
    plus = False

    def setup(self, device: str = "cpu", checkpoint: Optional[str] = None, preset: Optional[str] = None,
              bert: Optional[str] = None, threshold: float = 0.5) -> None:
        """``checkpoint``: a file of ``rris-bench train`` or a released LAVT-RIS checkpoint (then ``preset``,
        default swin-b, and ``bert``, a bert-base-uncased folder for the vocabulary); ``threshold``: LAVT+'s
        existence threshold."""
        import torch

        from ..common.text import build_tokenizer
        from .checkpoint import load_for_inference

        if not checkpoint:
            raise InputError(f"{self.name} needs a checkpoint: --opt checkpoint=PATH "
                             f"(train one with `rris-bench train {self.name}`)", field="--opt")
        self.torch = torch
        self.device = torch.device(device)
        self.model = load_for_inference(checkpoint, plus=self.plus, preset_name=preset, bert=bert)
        self.model.to(self.device).eval()
        self.config = self.model.config
        self.tokenizer = build_tokenizer(self.config.text)
        self.threshold = float(threshold)

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        from ..common.image import decide, image_tensor
        from ..common.text import encode

        torch = self.torch
        images = torch.stack([image_tensor(s.image, self.config.img_size) for s in batch]).to(self.device)
        ids, mask = encode(self.tokenizer, [s.raw or s.sentence for s in batch], self.config.max_tokens)
        with torch.inference_mode():
            logits, exist_logit = self.model(images, ids.to(self.device), mask.to(self.device))
            prob = logits.softmax(1)[:, 1].float().cpu()
        if exist_logit is None:  # LAVT: no existence output, the mask is the answer
            return [Prediction(decide(p, 1.0, s.height, s.width)) for s, p in zip(batch, prob)]
        exist = torch.sigmoid(exist_logit).float().cpu()
        return [Prediction(decide(p, float(e), s.height, s.width, self.threshold), score=float(e))
                for s, p, e in zip(batch, prob, exist)]

    def teardown(self) -> None:
        self.model = None


class LAVTPlusAdapter(LAVTAdapter):
    """LAVT+ (the R-RIS paper's baseline): LAVT with an existence head; empty answer below the threshold."""

    name = "lavt-plus"
    description = ("LAVT+ (R-RIS baseline): LAVT with an existence head. --opt checkpoint=PATH "
                   "[threshold=0.5]")
    plus = True
