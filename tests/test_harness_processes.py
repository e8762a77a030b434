"""The harness across processes: a run killed mid-way (SIGINT, SIGKILL) and resumed ends identical to an
uninterrupted one; torchrun with two processes writes the file one process writes; the command line's exit
codes and messages."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness_world import EXAMPLE, toy_world
from rris_bench.run import harness

SLOW = Path(__file__).resolve().parent / "data" / "slow_adapter.py"
LIMIT, BATCH = 60, 2  # 30 batches


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    return root, toy_world(root)


def cli(*args: str) -> list:
    return [sys.executable, "-m", "rris_bench.cli", *args]


def run_args(root: Path, out: Path, *extra: str) -> list:
    return cli("run", f"{SLOW}:SlowAdapter", "--data-root", str(root), "--dataset", "rtoy", "--split", "val",
               "--out", str(out), "--limit", str(LIMIT), "--batch-size", str(BATCH), "--quiet", *extra)


def records_in(path: Path) -> int:
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_a_killed_run_resumed_equals_an_uninterrupted_one(world, tmp_path, sig):
    root, dataset = world
    reference = tmp_path / "reference.jsonl"
    harness.run(f"{SLOW}:SlowAdapter", dataset, "val", reference, limit=LIMIT, batch_size=BATCH, progress=False)
    out = tmp_path / "killed.jsonl"
    partial = tmp_path / "killed.jsonl.partial"
    proc = subprocess.Popen(run_args(root, out, "--opt", "delay=0.1"), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while records_in(partial) < 3 * BATCH and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    written = records_in(partial)
    assert 3 * BATCH <= written < LIMIT and not out.exists()
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "rerun with --resume" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    done = subprocess.run(run_args(root, out, "--resume"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == reference.read_bytes() and not partial.exists()


@pytest.mark.slow
def test_two_torchrun_processes_write_what_one_process_writes(world, tmp_path):
    root, dataset = world
    one = tmp_path / "one.jsonl"
    harness.run(f"{EXAMPLE}:ColourAdapter", dataset, "val", one, batch_size=3, progress=False)
    two = tmp_path / "two.jsonl"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
                             "2", "-m", "rris_bench.cli", "run", f"{EXAMPLE}:ColourAdapter", "--data-root", str(root),
                             "--dataset", "rtoy", "--out", str(two), "--batch-size", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:  # never leave the workers behind
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr[-3000:]
    assert "2 processes" in stdout and stdout.count("model time") == 1  # rank 0 reports
    assert stdout.count("torch threads: 1 intra-op (OMP_NUM_THREADS)") == 1
    assert two.read_bytes() == one.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.jsonl", "two.jsonl"]  # parts removed


def test_command_line_errors_are_one_line_with_exit_2(world, tmp_path):
    root, _ = world
    bad = tmp_path / "bad.py"
    bad.write_text("from rris_bench.run.adapters import Adapter\n\nclass Bad(Adapter):\n    name = 'bad'\n\n"
                   "    def predict(self, batch):\n        raise RuntimeError('no weights loaded')\n")
    cases = [
        (["run", f"{bad}:Bad"], "adapter bad: predict() raised RuntimeError: no weights loaded (bad.py:7)"),
        (["run", "oracel"], "unknown adapter 'oracel'; did you mean oracle?"),
        (["run", f"{bad}:Badd"], "has no attribute 'Badd'; did you mean Bad?"),
        (["run", "oracle", "--opt", "threshold"], "expected key=value"),
    ]
    for args, message in cases:
        proc = subprocess.run(cli(*args, "--data-root", str(root), "--dataset", "rtoy", "--out",
                                  str(tmp_path / "p.jsonl"), "--quiet"), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
