"""How many CPU threads torch uses and how its idle threads wait, chosen once before torch starts its pools.

On a busy machine, OpenMP threads that spin while they wait make every training step as slow as the
slowest thread's time slice: the demo's training ran 26x slower than idle at load 5-7 on 2 cores, where a
fair share costs about 3x (issue 16, ``benchmarks/bench_contention.py`` measures it). So:

- the tiny presets run on ONE intra-op thread (their kernels are too small to gain from two);
- idle OpenMP threads sleep instead of spinning (``OMP_WAIT_POLICY=PASSIVE``, unless the user set it);
- torch's inter-op pool, which these models do not use, is capped at one thread.

The OpenMP runtime reads ``OMP_NUM_THREADS`` and ``OMP_WAIT_POLICY`` when it loads, which is when torch is
imported: call :func:`configure` before anything imports torch (the ``demo`` and ``train`` commands do it
first). Results repeat for a given seed and thread count, not across thread counts (float sums are
reduced in another order).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Optional

from .errors import InputError

TINY_PRESET_THREADS = 1
WAIT_POLICY = "PASSIVE"


@dataclass(frozen=True)
class ThreadSettings:
    """What :func:`configure` applied: intra-op and inter-op thread counts, the OpenMP wait policy, where the
    intra-op count came from, and whether torch was imported only afterwards (so the wait policy holds)."""

    intra_op: int
    inter_op: int
    wait_policy: str
    source: str
    before_torch: bool

    def describe(self) -> str:
        """One line for the demo's and ``train``'s output."""
        late = "" if self.before_torch else " (torch was loaded earlier: the wait policy may not apply)"
        return (f"torch threads: {self.intra_op} intra-op ({self.source}), {self.inter_op} inter-op, "
                f"OMP_WAIT_POLICY={self.wait_policy}{late}")


def configure(threads: Optional[int] = None, default: Optional[int] = TINY_PRESET_THREADS) -> ThreadSettings:
    """Set torch's intra-op thread count and the OpenMP wait policy, then import torch and apply them.

    The count is ``threads`` (a ``--threads`` option) if given, else ``OMP_NUM_THREADS`` if set, else
    ``default`` (None: torch's own default, one per core). ``OMP_WAIT_POLICY`` is set to PASSIVE unless the
    environment already sets it. A count below 1 or an ``OMP_NUM_THREADS`` that is not a whole number raises
    InputError (exit 2 on the command line).
    """
    before_torch = "torch" not in sys.modules
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if threads is not None:
        count, source = threads, "--threads"
    elif env:
        try:
            count = int(env)
        except ValueError:
            raise InputError(f"{env!r} is not a whole number of threads", field="OMP_NUM_THREADS") from None
        source = "OMP_NUM_THREADS"
    else:
        count, source = default, "default for the tiny presets" if default is not None else "torch default"
    if count is not None:
        if count < 1:
            raise InputError(f"the number of threads must be at least 1, not {count}", field=source)
        os.environ["OMP_NUM_THREADS"] = str(count)
        os.environ.setdefault("MKL_NUM_THREADS", str(count))
    os.environ.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)

    import torch

    if count is not None:
        torch.set_num_threads(count)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # inter-op work already started in this process (torch was used before)
        pass
    return ThreadSettings(torch.get_num_threads(), torch.get_num_interop_threads(), os.environ["OMP_WAIT_POLICY"],
                          source, before_torch)
