"""A deterministic adapter for the interruption tests: the ground-truth box, after ``delay`` seconds per batch."""
import time
from typing import List

from rris_bench.run.adapters import Adapter, Prediction, Sample
from rris_bench.masks import from_box


class SlowAdapter(Adapter):
    name = "slow-box"
    uses_ground_truth = True

    def setup(self, device: str = "cpu", delay: float = 0.0) -> None:
        self.delay = float(delay)

    def predict(self, batch: List[Sample]) -> List[Prediction]:
        time.sleep(self.delay)
        return [Prediction(from_box(s.target.box, s.height, s.width) if s.target.exists else None,
                           score=0.5 + 0.5 * s.target.exists) for s in batch]
