"""Run ``rris-bench`` in a child process under a memory cap and a timeout, as hostile inputs must be run.

A hang is a failed test (TimeoutExpired), not a stuck CI job; an allocation above the cap fails inside the
child instead of taking the machine down.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Sequence

SHARED = Path(__file__).resolve().parents[2] / "shared"
MEMORY_CAP = 4_000_000_000  # bytes of address space, as ``ulimit -v 4000000`` in the case folders' READMEs
TIMEOUT = 60.0


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def last_line(self) -> str:
        lines = self.err.strip().splitlines()
        return lines[-1] if lines else ""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def rris_bench(args: Sequence[str], *, env: Optional[Dict[str, str]] = None, timeout: float = TIMEOUT,
               cwd: Optional[Path] = None) -> Outcome:
    """``python -m rris_bench.cli ARGS`` under ``MEMORY_CAP`` and ``timeout`` seconds."""
    proc = subprocess.run([sys.executable, "-m", "rris_bench.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, preexec_fn=_cap_memory, env={**os.environ, **(env or {})},
                          cwd=cwd)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_refusal(outcome: Outcome, *needles: str) -> None:
    """Exit 2, no traceback, and the error names every needle (file, record, field)."""
    assert outcome.code == 2, (outcome.code, outcome.err[-2000:])
    assert "Traceback" not in outcome.err, outcome.err[-2000:]
    err = "\n".join(line for line in outcome.err.splitlines() if not line.startswith("rris-bench: warning: "))
    assert err.startswith("rris-bench: error: "), outcome.err  # a warning may come first (another dataset_sha256)
    for needle in needles:
        assert needle in outcome.err, (needle, outcome.err)
