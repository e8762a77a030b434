"""Datasets: ``load_dataset(root, name)`` reads any supported format (``FORMATS``) into ``model.Dataset``."""
from .load import AUTO, FORMAT_CHOICES, FORMATS, detect, load_dataset

__all__ = ["AUTO", "FORMAT_CHOICES", "FORMATS", "detect", "load_dataset"]
