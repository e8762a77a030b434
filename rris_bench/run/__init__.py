"""Running models: the adapter interface (``Adapter``, ``Sample``, ``Prediction``) and ``run``, the harness."""
from .adapters import Adapter, Prediction, Sample, Target
from .harness import run

__all__ = ["Adapter", "Prediction", "Sample", "Target", "run"]
