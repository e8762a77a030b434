"""benchmarks/demo_table.py, the script that regenerates the demo table of docs/benchmarks.md: its parts."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rris_bench.demo import run_demo

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("demo_table", REPO / "benchmarks" / "demo_table.py")
demo_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo_table)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, models=["empty", "oracle", "gt-box"], n_images={"train": 4, "val": 8, "testA": 2,
                                                                          "testB": 2}, progress=False,
                    log=lambda _: None)["records"]


def test_block_ranks_the_records_and_says_how_it_was_measured(records, tmp_path):
    text = demo_table.block(records, command="rris-bench demo --out DIR --seed 0", threads_line="torch threads: 1",
                            wall=166.4, peak_mb=774.2, train={"refsegformer": 68.0}, load=(0.5, 1.25))
    lines = text.splitlines()
    assert lines[0] == demo_table.START and lines[-1] == demo_table.END
    assert "2 min 46 s wall, 774 MB peak memory, of which training took 68 s (refsegformer)" in text
    assert "torch threads: 1; load average 0.5 before, 1.2 after" in text
    rows = [line.split(" | ")[0].lstrip("| ") for line in lines if line.startswith("| ") and "---" not in line]
    assert rows == ["model", "oracle", "gt-box", "empty"]  # ranked by rIoU
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{demo_table.START}\nold table\n{demo_table.END}\nafter\n")
    demo_table.update(readme, text)
    assert readme.read_text() == f"before\n{text}\nafter\n"


def test_training_seconds_come_from_the_demo_step_log():
    log = "[   1.0s] running empty on rtoy val\n[  10.0s] training lavt (tiny preset) on the toy world\n" \
          "[  40.5s] running lavt on rtoy val\n[  41.0s] done\n"
    assert demo_table.training_seconds(log) == {"lavt": 30.5}


def test_the_benchmarks_page_carries_the_generated_block():
    text = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert text.count(demo_table.START) == 1 and text.count(demo_table.END) == 1
    assert "| oracle | 100.00 |" in text.split(demo_table.START)[1].split(demo_table.END)[0]
    assert "python benchmarks/demo_table.py --out DIR --update docs/benchmarks.md" in text
