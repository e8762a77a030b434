"""Thread settings (issue 16): chosen before torch loads, visible in the demo's and ``train``'s output, and the
numbers repeat for a given seed and thread count. The OpenMP runtime prints what it loaded with when
``OMP_DISPLAY_ENV=VERBOSE``: ``GOMP_SPINCOUNT = '0'`` is the passive wait policy in force (spinning: 300000)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
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


def test_the_commands_load_torch_only_after_choosing_threads():
    done = _python("import sys; import rris_bench.cli, rris_bench.commands.demo, rris_bench.commands.train, "
                   "rris_bench.demo; print('torch' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_configure_reaches_the_openmp_runtime_before_it_starts():
    code = ("from rris_bench import threads; s = threads.configure(); import torch; "
            "torch.ones(64, 64) @ torch.ones(64, 64); print(s.describe())")
    done = _python(code, OMP_DISPLAY_ENV="VERBOSE")
    assert done.returncode == 0, done.stderr
    if "OPENMP DISPLAY ENVIRONMENT" not in done.stderr:
        pytest.skip("this torch's OpenMP runtime does not print its environment")
    assert "OMP_NUM_THREADS = '1'" in done.stderr and "GOMP_SPINCOUNT = '0'" in done.stderr, done.stderr
    assert done.stdout.strip() == ("torch threads: 1 intra-op (default for the tiny presets), 1 inter-op, "
                                   "OMP_WAIT_POLICY=PASSIVE")
    spinning = _python("import torch", OMP_DISPLAY_ENV="VERBOSE")  # the control: torch's defaults spin
    assert "GOMP_SPINCOUNT = '0'" not in spinning.stderr


@pytest.mark.parametrize("threads_option, env, expected", [
    (3, {"OMP_NUM_THREADS": "2"}, (3, "--threads")),
    (None, {"OMP_NUM_THREADS": "2"}, (2, "OMP_NUM_THREADS")),
    (None, {}, (1, "default for the tiny presets")),
])
def test_the_option_beats_the_environment_which_beats_the_default(monkeypatch, threads_option, env, expected):
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


@pytest.mark.slow
def test_the_demo_prints_its_threads_first_and_runs_with_them(tmp_path):
    done = _cli("demo", "--out", str(tmp_path / "demo"), "--models", "empty", OMP_DISPLAY_ENV="VERBOSE")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "torch threads: 1 intra-op (default for the tiny presets), 1 inter-op, OMP_WAIT_POLICY=PASSIVE"
    assert "generating the toy world" in lines[1]
    if "OPENMP DISPLAY ENVIRONMENT" in done.stderr:
        assert "GOMP_SPINCOUNT = '0'" in done.stderr and "OMP_NUM_THREADS = '1'" in done.stderr


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
def test_train_defaults_to_one_thread_for_the_tiny_preset_unless_omp_num_threads_says(tmp_path):
    from test_training import squares_dataset

    root = squares_dataset(tmp_path / "data")
    tiny = _train(root, tmp_path / "tiny")
    assert tiny.returncode == 0, tiny.stderr[-3000:]
    assert tiny.stdout.splitlines()[0].startswith("torch threads: 1 intra-op (default for the tiny presets)")
    from_env = _train(root, tmp_path / "env", OMP_NUM_THREADS="2")
    assert from_env.stdout.splitlines()[0].startswith("torch threads: 2 intra-op (OMP_NUM_THREADS)")
