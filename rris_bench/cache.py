"""Where rris-bench keeps what it can always rebuild: ``$RRIS_BENCH_CACHE`` or ``~/.cache/rris-bench``.

``gt/`` holds ground-truth RLEs (``metrics.groundtruth``), ``datasets/`` parsed refer datasets
(``refer.load_dataset``). Every entry is named by the sha256 of the files it was made from and carries the
sha256 of its own content; an entry that cannot be read or does not match its checksum is made again.
"""
from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "RRIS_BENCH_CACHE"


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "rris-bench")
