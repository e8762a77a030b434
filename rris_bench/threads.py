"""How many CPU threads torch uses and how its idle threads wait, chosen once, before torch starts its pools,
from how busy the machine is at that moment.

Two intra-op threads whose idle time is spent spinning (torch's and OpenMP's defaults) are the fastest on a
free machine, and the slowest on a busy one: every parallel region waits for the thread that lost its time
slice, and a spinning thread burns the slice its partner needs. The demo's training ran 26x slower than idle
at load 5-7 on 2 cores, where a fair share costs about 3x (issue 16). Measured side by side with
``benchmarks/bench_contention.py`` (figures in the README), no fixed setting is good at both: one thread
that sleeps when idle keeps its fair share under load (1.1x at two background processes, against 2.8-4.0x
for two spinning threads) but trains RefSegformer's tiny preset 43% slower on a free machine; two sleeping
threads are 24% slower when free; two threads spinning only briefly (``GOMP_SPINCOUNT``) fall apart as soon
as other work arrives. So :func:`configure` looks first (:func:`running_elsewhere`, about 0.2 s) and, unless
told a count:

- on a free machine: one intra-op thread per free core, waiting as OpenMP does by default (spinning);
- on a busy one: as many threads as cores left free (at least one), and idle threads sleep
  (``OMP_WAIT_POLICY=PASSIVE``, which the OpenMP runtime reads only when torch loads it);
- torch's inter-op pool, which these models do not use, is capped at one thread.

The choice is made once, printed, and kept for the whole run: results repeat for a given seed and thread
count, not across thread counts (float sums are reduced in another order), so a run never changes its
count midway. ``--threads N`` or ``OMP_NUM_THREADS=N`` fixes the count (to repeat figures made with N
threads); ``OMP_WAIT_POLICY`` set by the user is left alone.
"""
from __future__ import annotations

import glob
import os
import sys
import time
from dataclasses import dataclass
from typing import Optional

from .errors import InputError

BUSY_WAIT_POLICY = "PASSIVE"
SAMPLES, SAMPLE_INTERVAL = 10, 0.02  # a 0.2 s look at the machine
BUSY_AT = 0.5  # this many other runnable threads on average (rounded: one core taken) make the machine busy


@dataclass(frozen=True)
class ThreadSettings:
    """What :func:`configure` applied: the intra-op thread count and where it came from, torch's inter-op
    count (None when torch was not loaded), the OpenMP wait policy ("" when left to OpenMP: spinning), the
    other runnable threads seen when looking, and whether torch was loaded only afterwards (so the
    environment reached the OpenMP runtime)."""

    intra_op: int
    inter_op: Optional[int]
    wait_policy: str
    source: str
    running_elsewhere: float
    before_torch: bool

    def describe(self) -> str:
        """One line for the output of ``demo``, ``train`` and ``run``."""
        inter = "" if self.inter_op is None else f", {self.inter_op} inter-op"
        wait = f"OMP_WAIT_POLICY={self.wait_policy}" if self.wait_policy else "idle threads spin (OpenMP default)"
        late = "" if self.before_torch else " (torch was loaded earlier: the wait policy may not apply)"
        return (f"torch threads: {self.intra_op} intra-op ({self.source}){inter}, {wait}; "
                f"{self.running_elsewhere:.1f} other runnable threads on {usable_cores()} cores{late}")


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def running_elsewhere(samples: int = SAMPLES, interval: float = SAMPLE_INTERVAL) -> float:
    """Mean number of runnable threads on the machine outside this process over ``samples`` looks
    ``interval`` seconds apart: ``procs_running`` of /proc/stat minus this process's threads in state R
    (/proc/self/task/*/stat). 0.0 where /proc is absent (not Linux): the machine is taken as free."""
    total = 0
    for i in range(samples):
        try:
            with open("/proc/stat") as f:
                running = next(int(line.split()[1]) for line in f if line.startswith("procs_running"))
        except (OSError, StopIteration, ValueError, IndexError):
            return 0.0
        total += max(0, running - _own_running_threads())
        if i + 1 < samples:
            time.sleep(interval)
    return total / samples


def _own_running_threads() -> int:
    own = 0
    for path in glob.glob("/proc/self/task/*/stat"):
        try:
            with open(path) as f:
                own += f.read().rsplit(")", 1)[1].split()[0] == "R"
        except (OSError, IndexError):  # the thread ended meanwhile
            pass
    return own


def configure(threads: Optional[int] = None, *, load_torch: bool = True) -> ThreadSettings:
    """Choose torch's intra-op thread count and the OpenMP wait policy from the machine's load, put them in
    the environment (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OMP_WAIT_POLICY``) and, if ``load_torch``
    and torch is installed, import torch and apply them (intra-op count, one inter-op thread).

    The count is ``threads`` (a ``--threads`` option) if given, else ``OMP_NUM_THREADS`` if set, else the
    cores left free by the other runnable threads (rounded, at least 1). ``OMP_WAIT_POLICY`` becomes
    PASSIVE when the machine is busy (at least ``BUSY_AT`` other runnable threads) unless the environment
    already sets it; on a free machine OpenMP's default (spinning) stays. Call it before anything imports
    torch: the OpenMP runtime reads the environment only when it loads. A count below 1 or an
    ``OMP_NUM_THREADS`` that is not a whole number raises InputError (exit 2 on the command line).
    """
    before_torch = "torch" not in sys.modules
    cores = usable_cores()
    others = running_elsewhere()
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
        count, source = max(1, min(cores, round(cores - others))), "auto"
    if count < 1:
        raise InputError(f"the number of threads must be at least 1, not {count}", field=source)
    os.environ["OMP_NUM_THREADS"] = str(count)
    os.environ.setdefault("MKL_NUM_THREADS", str(count))
    if others >= BUSY_AT:
        os.environ.setdefault("OMP_WAIT_POLICY", BUSY_WAIT_POLICY)
    inter_op = None
    if load_torch:
        try:
            import torch
        except ImportError:  # the core runs without torch
            torch = None
        if torch is not None:
            torch.set_num_threads(count)
            try:
                torch.set_num_interop_threads(1)
            except RuntimeError:  # inter-op work already started in this process (torch was used before)
                pass
            inter_op = torch.get_num_interop_threads()
    return ThreadSettings(count, inter_op, os.environ.get("OMP_WAIT_POLICY", ""), source, others, before_torch)
