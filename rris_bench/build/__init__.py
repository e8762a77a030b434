"""Building robust datasets: ``build_robust_dataset`` adds negative sentences to a refer-format dataset."""
from .builder import build_robust_dataset, parse_strategies

__all__ = ["build_robust_dataset", "parse_strategies"]
