"""Thread settings (issue 16): chosen from the machine's load before torch loads, visible in the output of
``demo``, ``train`` (rank 0 only) and ``run``, and the numbers repeat for a given seed and thread count. The
OpenMP runtime prints what it loaded with when ``OMP_DISPLAY_ENV=VERBOSE``: ``GOMP_SPINCOUNT = '0'`` is the
passive wait policy in force, ``'300000'`` OpenMP's default spinning."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rris_bench import threads
from rris_bench.errors import InputError

torch = pytest.importorskip("torch")


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")}
    return {**env, "PYTHONWARNINGS": "ignore", **extra}


def _python(code: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=_env(**extra), capture_output=True, text=True,
                          timeout=300)


def _cli(*args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rris_bench.cli", *args], env=_env(**extra), capture_output=True,
                          text=True, timeout=600)


def _applied_threads(openmp_env: str) -> str:
    """The OMP_NUM_THREADS the OpenMP runtime loaded with, from its OMP_DISPLAY_ENV printout."""
    return openmp_env.split("OMP_NUM_THREADS = '", 1)[1].split("'", 1)[0]


def test_the_commands_load_torch_only_after_choosing_threads():
    done = _python("import sys; import rris_bench.cli, rris_bench.commands.demo, rris_bench.commands.train, "
                   "rris_bench.commands.run, rris_bench.demo; print('torch' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("elsewhere, count, spin", [(3.0, "1", "0"), (0.0, "2", "300000")])
def test_configure_reaches_the_openmp_runtime_before_it_starts(elsewhere, count, spin):
    """A busy machine (3 other runnable threads on 2 cores) gets 1 thread that sleeps when idle; a free one
    2 threads with OpenMP's default spinning. The look at the machine is replaced by a fixed answer."""
    code = ("from rris_bench import threads; "
            f"threads.running_elsewhere = lambda *a, **k: {elsewhere}; threads.usable_cores = lambda: 2; "
            "s = threads.configure(); import torch; torch.ones(64, 64) @ torch.ones(64, 64); print(s.describe())")
    done = _python(code, OMP_DISPLAY_ENV="VERBOSE")
    assert done.returncode == 0, done.stderr
    wait = "OMP_WAIT_POLICY=PASSIVE" if spin == "0" else "idle threads spin (OpenMP default)"
    assert done.stdout.strip() == (f"torch threads: {count} intra-op (auto), 1 inter-op, {wait}; "
                                   f"{elsewhere:.1f} other runnable threads on 2 cores")
    if "OPENMP DISPLAY ENVIRONMENT" not in done.stderr:
        pytest.skip("this torch's OpenMP runtime does not print its environment")
    assert _applied_threads(done.stderr) == count and f"GOMP_SPINCOUNT = '{spin}'" in done.stderr, done.stderr


@pytest.mark.parametrize("elsewhere, cores, expected", [
    (0.0, 4, (4, "")), (0.4, 4, (4, "")), (1.2, 4, (3, "PASSIVE")), (2.0, 2, (1, "PASSIVE")), (9.0, 2, (1, "PASSIVE")),
])
def test_auto_takes_the_cores_left_free_and_sleeps_when_the_machine_is_busy(monkeypatch, elsewhere, cores, expected):
    before = torch.get_num_threads()
    for var in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(threads, "running_elsewhere", lambda *a, **k: elsewhere)
    monkeypatch.setattr(threads, "usable_cores", lambda: cores)
    try:
        settings = threads.configure()
        assert (settings.intra_op, settings.wait_policy, settings.source) == (*expected, "auto")
        assert torch.get_num_threads() == expected[0] and os.environ["OMP_NUM_THREADS"] == str(expected[0])
        assert os.environ.get("OMP_WAIT_POLICY", "") == expected[1]
    finally:
        torch.set_num_threads(before)


def test_a_wait_policy_the_user_set_is_kept(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    monkeypatch.setattr(threads, "running_elsewhere", lambda *a, **k: 5.0)
    try:
        assert threads.configure(1).wait_policy == "ACTIVE"
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("threads_option, env, expected", [
    (3, {"OMP_NUM_THREADS": "2"}, (3, "--threads")),
    (None, {"OMP_NUM_THREADS": "2"}, (2, "OMP_NUM_THREADS")),
])
def test_the_option_beats_the_environment_which_beats_auto(monkeypatch, threads_option, env, expected):
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")  # already loaded here: nothing to change
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        settings = threads.configure(threads_option)
        assert (settings.intra_op, settings.source) == expected
        assert torch.get_num_threads() == expected[0] and os.environ["OMP_NUM_THREADS"] == str(expected[0])
        assert not settings.before_torch and "torch was loaded earlier" in settings.describe()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["two", "0"])
def test_a_bad_omp_num_threads_is_an_input_error(monkeypatch, value):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    with pytest.raises(InputError, match="OMP_NUM_THREADS"):
        threads.configure()


def test_running_elsewhere_counts_other_processes_not_this_ones_threads():
    assert threads._own_running_threads() >= 1  # the thread reading its own state is running
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.5)
        assert threads.running_elsewhere(samples=5, interval=0.01) >= 2.0  # runnable, whether on a core or queued
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_the_demo_prints_its_threads_first_and_runs_with_them(tmp_path):
    done = _cli("demo", "--out", str(tmp_path / "demo"), "--models", "empty", OMP_DISPLAY_ENV="VERBOSE")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("torch threads: ") and " intra-op (auto), 1 inter-op, " in lines[0]
    assert "generating the toy world" in lines[1]
    if "OPENMP DISPLAY ENVIRONMENT" in done.stderr:  # the count printed is the count the runtime loaded with
        assert lines[0].startswith(f"torch threads: {_applied_threads(done.stderr)} intra-op")


TORCH_ADAPTER = '''
import sys

from rris_bench.run.adapters import Adapter, Prediction


class TorchThreads(Adapter):
    name = "torch-threads"

    def setup(self, device="cpu"):
        import torch

        torch.ones(64, 64) @ torch.ones(64, 64)
        print(f"adapter sees {torch.get_num_threads()} torch threads", file=sys.stderr)

    def predict(self, batch):
        return [Prediction(None, score=0.0) for _ in batch]
'''


@pytest.mark.slow
def test_run_prints_its_threads_and_the_adapter_runs_with_them(tmp_path):
    from harness_world import toy_world

    toy_world(tmp_path / "data", val_images=2)
    adapter = tmp_path / "torch_adapter.py"
    adapter.write_text(TORCH_ADAPTER)
    args = ("run", f"{adapter}:TorchThreads", "--data-root", str(tmp_path / "data"), "--dataset", "rtoy",
            "--limit", "2", "--threads", "1")
    done = _cli(*args, "--out", str(tmp_path / "a.jsonl"), OMP_DISPLAY_ENV="VERBOSE")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[0].startswith("torch threads: 1 intra-op (--threads), ")
    assert "adapter sees 1 torch threads" in done.stderr
    if "OPENMP DISPLAY ENVIRONMENT" in done.stderr:
        assert _applied_threads(done.stderr) == "1"
    quiet = _cli(*args, "--out", str(tmp_path / "b.jsonl"), "--quiet")
    assert quiet.returncode == 0 and "torch threads" not in quiet.stdout


def _train(data_root: Path, out: Path, *extra: str, **env: str) -> subprocess.CompletedProcess:
    return _cli("train", "refsegformer", "--data-root", str(data_root), "--dataset", "squares", "--preset", "tiny",
                "--max-steps", "4", "--batch-size", "2", "--val-split", "none", "--lr", "1e-3", "--out", str(out),
                *extra, **env)


@pytest.mark.slow
@pytest.mark.parametrize("count", [1, 2])
def test_train_repeats_its_numbers_for_a_seed_and_thread_count(tmp_path, count):
    from test_training import squares_dataset

    root = squares_dataset(tmp_path / "data")
    runs = [_train(root, tmp_path / name, "--threads", str(count)) for name in ("a", "b")]
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.stdout.splitlines()[0].startswith(f"torch threads: {count} intra-op (--threads), 1 inter-op")
    history = [(tmp_path / name / "history.jsonl").read_text() for name in ("a", "b")]
    assert history[0] == history[1] and len([json.loads(x) for x in history[0].splitlines()]) == 4
    weights = [torch.load(tmp_path / name / "last.pth", weights_only=True)["model"] for name in ("a", "b")]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.slow
def test_train_chooses_its_threads_unless_omp_num_threads_says(tmp_path):
    from test_training import squares_dataset

    root = squares_dataset(tmp_path / "data")
    auto = _train(root, tmp_path / "auto")
    assert auto.returncode == 0, auto.stderr[-3000:]
    assert auto.stdout.splitlines()[0].startswith("torch threads: ") and " intra-op (auto)" in auto.stdout
    from_env = _train(root, tmp_path / "env", OMP_NUM_THREADS="2")
    assert from_env.stdout.splitlines()[0].startswith("torch threads: 2 intra-op (OMP_NUM_THREADS)")
