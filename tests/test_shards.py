"""Shards for any scheduler: K shards run as separate processes and merged give the bytes of one run; missing,
unfinished, cut-short, mixed-K and other-run shards are refused by name with exit 2 and the output left alone;
``--shard`` is checked at the door; a shard file is not evaluated by mistake."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness_world import EXAMPLE, toy_world
from rris_bench.run import harness
from rris_bench.errors import InputError
from rris_bench.run.output import part_path
from rris_bench.run.shards import Shard, find, merge

ADAPTER = f"{EXAMPLE}:ColourAdapter"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("toy")
    return root, toy_world(root)


@pytest.fixture(scope="module")
def reference(world, tmp_path_factory):
    """The predictions file of one unsharded run."""
    _, dataset = world
    out = tmp_path_factory.mktemp("one") / "one.jsonl"
    harness.run(ADAPTER, dataset, "val", out, batch_size=5, options={"tolerance": 70}, progress=False)
    return out.read_bytes()


def cli(*args: str) -> list:
    return [sys.executable, "-m", "rris_bench.cli", *args]


def shard_args(root: Path, out: Path, spec: str, *extra: str) -> list:
    return cli("run", ADAPTER, "--data-root", str(root), "--dataset", "rtoy", "--split", "val", "--out", str(out),
               "--batch-size", "5", "--opt", "tolerance=70", "--quiet", "--shard", spec, *extra)


def run_shards(world, out: Path, count: int, **options) -> None:
    _, dataset = world
    for index in range(count):
        harness.run(ADAPTER, dataset, "val", out, batch_size=5, options=options or {"tolerance": 70},
                    progress=False, shard=Shard(index, count))


def merge_cli(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cli("merge", str(out)), capture_output=True, text=True, timeout=60)


def refused(proc: subprocess.CompletedProcess, *names: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for name in names:
        assert name in proc.stderr, (name, proc.stderr)


@pytest.mark.slow
def test_three_shards_as_separate_processes_merge_to_the_bytes_of_one_run(world, reference, tmp_path):
    root, _ = world
    out = tmp_path / "sharded.jsonl"
    procs = [subprocess.Popen(shard_args(root, out, f"{i}/3"), stderr=subprocess.PIPE, text=True) for i in range(3)]
    for proc in procs:  # all three at once, as a job array would
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    sizes = [len(Shard(i, 3).path(out).read_text().splitlines()) - 1 for i in range(3)]
    assert max(sizes) - min(sizes) <= 1 and sum(sizes) == reference.count(b"\n") - 1  # balanced, every sentence
    done = merge_cli(out)
    assert done.returncode == 0, done.stderr
    assert f"merged 3 shards ({sum(sizes)} predictions)" in done.stdout
    assert out.read_bytes() == reference
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sharded.jsonl"]  # shards removed, no lock left


def test_shards_in_one_process_and_a_single_shard_give_the_same_bytes(world, reference, tmp_path):
    for count in (1, 4):
        out = tmp_path / f"k{count}.jsonl"
        run_shards(world, out, count)
        assert merge(out, find(out)) == reference.count(b"\n") - 1
        assert out.read_bytes() == reference


def test_bounds_are_contiguous_balanced_and_cover_the_plan():
    for samples in (0, 1, 2, 7, 237, 1000):
        for count in (1, 2, 3, 8):
            blocks = [Shard(i, count).bounds(samples) for i in range(count)]
            assert blocks[0][0] == 0 and blocks[-1][1] == samples
            assert all(a[1] == b[0] for a, b in zip(blocks, blocks[1:]))
            sizes = [stop - start for start, stop in blocks]
            assert max(sizes) - min(sizes) <= 1


def test_a_missing_shard_is_refused_by_name_and_nothing_is_written(world, tmp_path):
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 3)
    Shard(1, 3).path(out).unlink()
    refused(merge_cli(out), "p.jsonl.shard1-of-3", "shard 1 of 3 is missing", "--shard 1/3")
    assert not out.exists() and Shard(0, 3).path(out).exists() and Shard(2, 3).path(out).exists()


def test_no_shards_at_all_is_refused(tmp_path):
    refused(merge_cli(tmp_path / "p.jsonl"), "p.jsonl", "no shard files")


def test_an_unfinished_shard_is_refused(world, tmp_path):
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 3)
    partial = part_path(out, Shard(2, 3))
    Shard(2, 3).path(out).rename(partial)  # as a killed shard leaves it
    refused(merge_cli(out), "p.jsonl.shard2-of-3.partial", "shard 2 of 3 is unfinished", "--resume")
    assert not out.exists()


def test_a_shard_cut_short_is_refused(world, tmp_path):
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 3)
    path = Shard(0, 3).path(out)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-2]))  # two whole records lost
    refused(merge_cli(out), "p.jsonl.shard0-of-3", "incomplete", f"holds {len(lines) - 3} of its {len(lines) - 1}")
    path.write_text("".join(lines)[:-10])  # the last record cut mid-line
    refused(merge_cli(out), "p.jsonl.shard0-of-3", "cut short")
    assert not out.exists()


def test_a_shard_of_another_run_is_refused_by_name(world, tmp_path):
    root, dataset = world
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 3)
    harness.run(ADAPTER, dataset, "val", out, batch_size=5, options={"tolerance": 20}, progress=False,
                shard=Shard(2, 3))  # other adapter options
    refused(merge_cli(out), "p.jsonl.shard2-of-3", "another run than p.jsonl.shard0-of-3", "options")
    harness.run("oracle", dataset, "val", out, progress=False, shard=Shard(2, 3))  # another model
    refused(merge_cli(out), "p.jsonl.shard2-of-3", "info model")
    harness.run(ADAPTER, dataset, "val", out, batch_size=5, options={"tolerance": 70}, limit=50, progress=False,
                shard=Shard(2, 3))  # another plan
    refused(merge_cli(out), "p.jsonl.shard2-of-3", "samples, plan")
    assert not out.exists()


def test_shards_of_different_counts_are_refused(world, tmp_path):
    _, dataset = world
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 3)
    harness.run(ADAPTER, dataset, "val", out, batch_size=5, options={"tolerance": 70}, progress=False,
                shard=Shard(0, 2))
    refused(merge_cli(out), "p.jsonl.shard0-of-2 is one of 2", "p.jsonl.shard0-of-3 is one of 3", "stale")
    with pytest.raises(InputError, match="shard1-of-2: shard: a shard of another run .* count differ"):
        merge(out, [Shard(0, 2).path(out), Shard(0, 3).path(out).rename(Shard(1, 2).path(out))])


def test_a_renamed_shard_is_refused(world, tmp_path):
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 2)
    first, second = Shard(0, 2).path(out), Shard(1, 2).path(out)
    first.rename(tmp_path / "swap")
    second.rename(first)
    (tmp_path / "swap").rename(second)
    refused(merge_cli(out), "p.jsonl.shard0-of-2", "holds shard 1 of 2, not 0 of 2 as its name says")


def test_a_shard_resumes_after_an_interruption(world, reference, tmp_path):
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 3)
    done = Shard(1, 3).path(out)
    lines = done.read_text().splitlines(keepends=True)
    part_path(out, Shard(1, 3)).write_text("".join(lines[:7]))  # a killed rerun's partial
    done.unlink()
    root, _ = world
    proc = subprocess.run(shard_args(root, out, "1/3"), capture_output=True, text=True, timeout=60)
    refused(proc, "p.jsonl.shard1-of-3.partial", "--resume")  # work is never discarded silently
    proc = subprocess.run(shard_args(root, out, "1/3", "--resume"), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert merge_cli(out).returncode == 0 and out.read_bytes() == reference


@pytest.mark.parametrize("spec, message", [
    ("3/3", "shard 3 of 3 does not exist"), ("1/0", "shard 1 of 0 does not exist"),
    ("-1/3", "expected i/K"), ("1", "expected i/K"), ("a/b", "expected i/K"), ("1/2/3", "expected i/K")])
def test_bad_shard_specs_are_one_line_with_exit_2(world, tmp_path, spec, message):
    root, _ = world
    out = tmp_path / "p.jsonl"
    refused(subprocess.run(shard_args(root, out, spec), capture_output=True, text=True, timeout=60),
            "--shard", message)
    assert list(tmp_path.iterdir()) == []


def test_a_shard_file_is_not_evaluated_by_mistake(world, tmp_path):
    root, _ = world
    out = tmp_path / "p.jsonl"
    run_shards(world, out, 2)
    proc = subprocess.run(cli("evaluate", str(Shard(0, 2).path(out)), "--data-root", str(root)),
                          capture_output=True, text=True, timeout=60)
    refused(proc, "p.jsonl.shard0-of-2", "rris-bench merge")


def test_shard_is_refused_under_torchrun(world, tmp_path, monkeypatch):
    _, dataset = world
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    with pytest.raises(InputError, match="--shard: runs one shard in a single process; under torchrun"):
        harness.run("oracle", dataset, "val", tmp_path / "p.jsonl", progress=False, shard=Shard(0, 2))
    assert list(tmp_path.iterdir()) == []
