"""An rris-bench adapter in one file: segment the pixels of the colour the sentence names.

rris-bench run examples/colour_adapter.py:ColourAdapter --data-root demo_out/data --dataset rtoy --out c.jsonl
"""
from typing import List

import numpy as np

from rris_bench.run.adapters import Adapter, Prediction, Sample

COLOURS = {"red": (215, 40, 40), "green": (40, 165, 60), "blue": (45, 85, 225),
           "yellow": (235, 215, 40), "purple": (145, 55, 190), "orange": (245, 140, 25)}


class ColourAdapter(Adapter):
    name = "colour"
    description = "pixels of the colour the sentence names; no colour word: no target"
    batch_size = 32
    group_by_image = True  # an image's sentences arrive together (encode each image once)

    def setup(self, device: str = "cpu", tolerance: float = 60.0) -> None:
        self.tolerance = float(tolerance)  # --opt tolerance=80; load weights here and move them to device

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        predictions = []
        for sample in batch:
            words = [COLOURS[w] for w in sample.sentence.split() if w in COLOURS]
            if not words:  # nothing to look for: answer "no target", with a low existence score
                predictions.append(Prediction(None, score=0.0))
                continue
            distance = np.abs(sample.image.astype(np.int16) - np.array(words[0])).sum(axis=2)
            mask = distance < self.tolerance  # boolean (height, width): the image's own size
            predictions.append(Prediction(mask, score=float(mask.mean() > 0.001)))
        return predictions
