"""Shared test fixtures: where the real data of ../shared/fixtures lives (skip clearly when it is absent)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# before any test imports torch: idle OpenMP threads sleep, as under the commands (rris_bench/threads.py);
# spinning ones make the suite many times slower on a busy machine
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = SHARED / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"real-data fixtures not found at {FIXTURES} (CI has ../shared beside the checkout)")
    return FIXTURES
