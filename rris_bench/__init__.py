"""rris-bench: build robust referring-segmentation datasets, run models on them, and score them."""

__version__ = "0.1.0"
