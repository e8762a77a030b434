"""Building robust datasets: ``build_robust_dataset`` adds negative sentences to a refer-format dataset."""
from .builder import build_robust_dataset
from .mix import MIXES, parse_strategies

__all__ = ["MIXES", "build_robust_dataset", "parse_strategies"]
