"""Image loading for the harness: decode the images of the next batches in worker threads while the model
runs on the current one (PIL releases the GIL while it decodes, so the threads overlap with the model)."""
from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, Iterator, Sequence

import numpy as np
from PIL import Image

from ..errors import InputError


def load_rgb(path: Path, height: int, width: int) -> np.ndarray:
    """The image at ``path`` as a read-only RGB uint8 array, checked against the size the dataset gives."""
    try:
        with Image.open(path) as im:
            pixels = np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise InputError("image file not found", path) from None
    except OSError as exc:
        raise InputError(f"not a readable image ({exc})", path) from None
    if pixels.shape[:2] != (height, width):
        raise InputError(f"the image is {pixels.shape[0]}x{pixels.shape[1]} but instances.json says "
                         f"{height}x{width}", path)
    pixels.flags.writeable = False  # the sentences of an image share one array
    return pixels


class Prefetcher:
    """Yields, batch after batch, {image_id: pixels} for the image ids of each batch, loading up to
    ``ahead`` batches in advance with ``workers`` threads. An image used by consecutive batches is loaded
    once and dropped after its last batch. Use as a context manager: leaving it cancels pending loads."""

    def __init__(self, load: Callable[[int], np.ndarray], batches: Sequence[Sequence[int]], *, workers: int = 2,
                 ahead: int = 2):
        self._load, self._batches, self._ahead = load, [list(dict.fromkeys(b)) for b in batches], ahead
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="rris-images")
        self._futures: Dict[int, Future] = {}
        self._uses = Counter(i for b in self._batches for i in b)

    def __enter__(self) -> "Prefetcher":
        for k in range(self._ahead):  # start now: the first images load while the caller gets ready
            self._submit(k)
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _submit(self, k: int) -> None:
        if k < len(self._batches):
            for image_id in self._batches[k]:
                if image_id not in self._futures:
                    self._futures[image_id] = self._pool.submit(self._load, image_id)

    def __iter__(self) -> Iterator[Dict[int, np.ndarray]]:
        for k, ids in enumerate(self._batches):
            self._submit(k + self._ahead)
            images = {i: self._futures[i].result() for i in ids}
            for i in ids:
                self._uses[i] -= 1
                if not self._uses[i]:
                    del self._futures[i]
            yield images
