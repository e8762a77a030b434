"""Fuzz and fault tests: hypothesis-mutated datasets through every command; kills at the build's folder swap;
two runs on one --out; a flipped bit in each cache kind; full disks and read-only folders. Each case that could
crash or hang runs in a child process under a memory cap and a timeout (``capped.py``)."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from capped import MEMORY_CAP, rris_bench
from harness_world import hand_world
from metrics_cases import hand_case, write_predictions
from rris_bench import files
from rris_bench.cli import main
from rris_bench.datasets.load import _cached
from rris_bench.metrics.groundtruth import _load as load_gt_cache

TESTS = Path(__file__).resolve().parent
SLOW = TESTS / "data" / "slow_adapter.py"


def _capped_python(code: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          preexec_fn=lambda: __import__("resource").setrlimit(
                              __import__("resource").RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP)), cwd=TESTS)


@pytest.mark.slow
def test_fuzzed_datasets_through_stats_evaluate_run_and_build(tmp_path):
    """40 hypothesis examples (fixed seed): exit 0 or 2 only, no traceback, no hang, no impossible number."""
    proc = subprocess.run([sys.executable, str(TESTS / "fuzz_datasets.py"), str(tmp_path), "40"],
                          capture_output=True, text=True, timeout=240, cwd=TESTS,
                          preexec_fn=lambda: __import__("resource").setrlimit(
                              __import__("resource").RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP)))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    codes = [json.loads(line)["codes"] for line in proc.stdout.splitlines()]
    assert len(codes) == 40
    assert any(c["stats"] == 0 and c.get("evaluate-run") == 0 for c in codes)  # valid edits are scored
    assert any(c["stats"] != 0 for c in codes)                                 # bad ones refused


# --- the build's folder swap -----------------------------------------------------------------------

SWAP = """
import os, signal, sys
from pathlib import Path
from rris_bench import files
target, where = Path(sys.argv[1]), sys.argv[2]
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
real_exchange, real_replace = files._exchange, os.replace
if where == "after-exchange":
    files._exchange = lambda a, b: real_exchange(a, b) and die()
if where == "between-renames":   # a filesystem without RENAME_EXCHANGE: the old folder is moved aside first
    files._exchange = lambda a, b: False
    def replace(src, dst):
        real_replace(src, dst)
        if str(dst).endswith("/x"):
            die()
    os.replace = replace
with files.atomic_dir(target) as tmp:
    (tmp / "manifest.json").write_text("new")
    if where == "while-writing":
        die()
"""


@pytest.mark.parametrize("where,expected", [("while-writing", "old"), ("after-exchange", "new"),
                                            ("between-renames", "old")])
def test_a_build_killed_at_its_swap_loses_nothing_and_the_next_start_repairs(tmp_path, where, expected):
    target = tmp_path / "rtoy"
    target.mkdir()
    (target / "manifest.json").write_text("old")
    proc = _capped_python(SWAP, str(target), where)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".rtoy.")]
    assert leftovers  # the killed process left its temporary folder
    if where != "between-renames":
        assert (target / "manifest.json").read_text() == expected  # one complete version at every instant
    files.repair_leftovers(target)  # what the next build (or load_dataset of a missing folder) does first
    assert (target / "manifest.json").read_text() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rtoy"]


def test_a_missing_dataset_folder_is_put_back_when_loaded(tmp_path):
    """F01: killed between the two renames, rtoy was gone until a rebuild; now loading it repairs it."""
    hand_world(tmp_path)
    aside = tmp_path / ".rhand.999999999.abc123.old"
    aside.mkdir()
    os.replace(tmp_path / "rhand", aside / "x")
    outcome = rris_bench(["stats", "--data-root", tmp_path, "--dataset", "rhand"])
    assert outcome.code == 0, outcome.err
    assert (tmp_path / "rhand" / "instances.json").is_file() and not aside.exists()


# --- two runs on one --out -------------------------------------------------------------------------


def _run_args(root: Path, out: Path, *extra: str) -> list:
    return [sys.executable, "-m", "rris_bench.cli", "run", f"{SLOW}:SlowAdapter", "--data-root", str(root),
            "--dataset", "rhand", "--split", "val", "--out", str(out), "--batch-size", "1", "--quiet", *extra]


def test_a_second_run_on_the_same_out_is_refused_by_name_and_the_first_completes(tmp_path):
    hand_world(tmp_path)
    reference, out = tmp_path / "reference.jsonl", tmp_path / "same.jsonl"
    subprocess.run(_run_args(tmp_path, reference), check=True, timeout=60)
    first = subprocess.Popen(_run_args(tmp_path, out, "--opt", "delay=0.4"), stderr=subprocess.PIPE, text=True)
    partial = tmp_path / "same.jsonl.partial"
    deadline = time.monotonic() + 30
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    second = subprocess.run(_run_args(tmp_path, out), capture_output=True, text=True, timeout=60)
    _, first_err = first.communicate(timeout=60)
    assert second.returncode == 2 and "same.jsonl.partial: another process is writing" in second.stderr
    assert first.returncode == 0, first_err
    assert out.read_bytes() == reference.read_bytes()  # whole, as if alone
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".same", "same"))) == ["same.jsonl"]


def test_the_lock_is_free_again_after_its_holder_is_killed(tmp_path):
    code = "import os, signal, sys; from rris_bench import files\n" \
           "with files.exclusive_lock(sys.argv[1], 'x'):\n    os.kill(os.getpid(), signal.SIGKILL)"
    assert _capped_python(code, str(tmp_path / "o.jsonl")).returncode == -signal.SIGKILL
    with files.exclusive_lock(tmp_path / "o.jsonl", "writing"):
        with pytest.raises(files.InputError, match="another process is writing"):
            with files.exclusive_lock(tmp_path / "o.jsonl", "writing"):
                pass
    assert list(tmp_path.iterdir()) == []  # the lock file goes with its holder


# --- a flipped bit in each cache kind ----------------------------------------------------------------


def _evaluate(root: Path, preds: Path, out: Path, cache: Path, *extra: str):
    return rris_bench(["evaluate", preds, "--data-root", root, "--out", out, *extra],
                      env={"RRIS_BENCH_CACHE": str(cache)}, timeout=60)


@pytest.fixture
def scored(tmp_path):
    ds, preds = hand_case(tmp_path)
    path = write_predictions(tmp_path / "preds.jsonl", ds, preds)
    cache = tmp_path / "cache"
    assert _evaluate(tmp_path, path, tmp_path / "ref.json", cache, "--no-cache").code == 0
    assert _evaluate(tmp_path, path, tmp_path / "first.json", cache).code == 0  # writes both cache kinds
    return tmp_path, path, cache, json.loads((tmp_path / "ref.json").read_text())["metrics"]


def load_dataset_cache(path):
    return _cached(path, "refer", True)


@pytest.mark.parametrize("kind,reader", [("datasets", load_dataset_cache), ("gt", load_gt_cache)])
def test_every_flipped_bit_of_a_cache_entry_means_rebuild_never_trust(scored, kind, reader):
    root, path, cache, reference = scored
    [entry] = (cache / kind).iterdir()
    data = bytearray(entry.read_bytes())
    assert reader(entry)  # intact: read
    for bit in range(0, 8 * len(data), 97):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        entry.write_bytes(bytes(flipped))
        assert not reader(entry), f"bit {bit} flipped and the entry was trusted"
    entry.write_bytes(bytes(data[:len(data) // 2]))  # truncated as well
    assert not reader(entry)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 4
    entry.write_bytes(bytes(flipped))
    outcome = _evaluate(root, path, root / "again.json", cache)  # end to end: same numbers as without cache
    assert outcome.code == 0, outcome.err
    assert json.loads((root / "again.json").read_text())["metrics"] == reference


# --- full disks and read-only folders -------------------------------------------------------------


def _refuse_writes(monkeypatch, code: int) -> None:
    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        if "cache" not in str(kwargs.get("dir", "")):
            raise OSError(code, os.strerror(code))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC, errno.EACCES])
def test_an_unwritable_output_is_one_line_naming_it(tmp_path, monkeypatch, capsys, code):
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    ds, preds = hand_case(tmp_path)
    path = write_predictions(tmp_path / "preds.jsonl", ds, preds)
    _refuse_writes(monkeypatch, code)
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(path), "--data-root", str(tmp_path), "--out", str(tmp_path / "out" / "r.json")])
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert f"{tmp_path / 'out' / 'r.json'}: --out: cannot write here ({os.strerror(code)})" in err
    assert not (tmp_path / "out" / "r.json").exists() and ".tmp" not in err


def test_a_disk_that_fills_while_writing_is_one_line_and_leaves_no_temporary(tmp_path, monkeypatch):
    real = Path.write_bytes

    def full(self, data):
        if self.name.endswith(".tmp"):
            real(self, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(files.WriteError, match=r"r\.json: cannot write here \(No space left on device\)"):
        files.write_text(tmp_path / "r.json", "x" * 1000)
    assert list(tmp_path.iterdir()) == []


def test_run_on_a_full_disk_names_the_output_and_keeps_what_was_written(tmp_path, capsys, monkeypatch):
    hand_world(tmp_path)
    monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))
    real_open = open
    calls = []

    def filling(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if str(file).endswith(".partial") and "a" in mode:
            calls.append(file)
            handle.close()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
        return handle

    monkeypatch.setattr("builtins.open", filling)
    with pytest.raises(SystemExit) as info:
        main(["run", "oracle", "--data-root", str(tmp_path), "--dataset", "rhand", "--out", str(tmp_path / "o.jsonl"),
              "--quiet"])
    err = capsys.readouterr().err
    assert calls and info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "o.jsonl: cannot write (No space left on device); what was written is in" in err and "--resume" in err


def test_a_read_only_folder_met_outside_the_atomic_writes_is_one_line(tmp_path, capsys, monkeypatch):
    """leaderboard plots, say: exit 2 naming the user's folder; exit 1 for a folder of the cache."""
    hand_world(tmp_path)
    for folder, code in ((tmp_path / "plots", 2), (tmp_path / "cache" / "gt", 1)):
        monkeypatch.setenv("RRIS_BENCH_CACHE", str(tmp_path / "cache"))

        def read_only(*args, **kwargs):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))

        monkeypatch.setattr("rris_bench.datasets.load_dataset", read_only)
        with pytest.raises(SystemExit) as info:
            main(["stats", "--data-root", str(tmp_path), "--dataset", "rhand"])
        err = capsys.readouterr().err
        assert info.value.code == code and len(err.strip().splitlines()) == 1
        assert err.startswith(f"rris-bench: error: {folder}: cannot write here (Read-only file system)")
