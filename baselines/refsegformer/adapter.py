"""The ``refsegformer`` adapter: a checkpoint (ours or the official ``ckpt.pth``) behind the Adapter interface.

Images are resized to the model's square size (480 for swin-b), sentences tokenized as in training (the
``raw`` text, as the training loop reads it, falling back to the normalised ``sent``), batches
run under ``torch.inference_mode``; the mask is the foreground probability > 0.5 at the original size, and is
empty when the existence probability is below ``exist_threshold`` (default 0.5, as the official validation).
"""
from __future__ import annotations

from typing import Any, List, Optional

from rris_bench.run.adapters import Adapter, Prediction, Sample
from rris_bench.errors import InputError


class RefSegformerAdapter(Adapter):
    name = "refsegformer"
    description = ("RefSegformer (R-RIS paper): --opt checkpoint=PATH [preset=swin-b] [exist_threshold=0.5] "
                   "[bert=DIR: the bert-base-uncased folder whose vocab.txt tokenizes]")
    batch_size = 8

    def setup(self, device: str = "cpu", checkpoint: Optional[str] = None, preset: Optional[str] = None,
              exist_threshold: Any = 0.5, bert: Optional[str] = None, **options: Any) -> None:
        if options:
            raise InputError(f"refsegformer: unknown option(s) {sorted(options)} "
                             "(checkpoint, preset, exist_threshold, bert)", field="--opt")
        if not checkpoint:
            raise InputError("refsegformer needs a checkpoint: --opt checkpoint=PATH", field="--opt")
        try:
            self.threshold = float(exist_threshold)
        except ValueError:
            raise InputError(f"exist_threshold must be a number, got {exist_threshold!r}", field="--opt") from None
        import torch

        from ..common.text import build_tokenizer
        from .checkpoint import load_model
        self.torch = torch
        self.device = torch.device(device)
        overrides = {"text": {"kind": "bert-base-uncased", "path": bert}} if bert else {}
        self.model = load_model(checkpoint, preset, **overrides).to(self.device).eval()
        self.config = self.model.config
        self.tokenizer = build_tokenizer(self.config.text)

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        from ..common.image import decide, image_tensor
        from ..common.text import encode
        torch = self.torch
        size = self.config.img_size
        x = torch.stack([image_tensor(s.image, size) for s in batch]).to(self.device)
        ids, mask = encode(self.tokenizer, [s.raw or s.sentence for s in batch], self.config.max_tokens)
        with torch.inference_mode():
            logits, exist_logit = self.model(x, ids.to(self.device), mask.to(self.device), raw=True)
            prob = logits.softmax(1)[:, 1].float().cpu()
            exist = torch.sigmoid(exist_logit).float().cpu()
        return [Prediction(decide(p, float(e), s.height, s.width, self.threshold), score=float(e))
                for s, p, e in zip(batch, prob, exist)]

    def teardown(self) -> None:
        self.model = None
