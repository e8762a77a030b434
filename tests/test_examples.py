"""Every example of every ``--help``, of the README and of the docs/ pages runs as printed, from a checkout, after the
quick demo.

The examples run in a scratch copy of the checkout's user-facing folders (``examples/``, ``leaderboards/``)
holding ``demo_out/`` from ``rris-bench demo --out demo_out --models empty,oracle,gt-box`` and a tiny checkpoint
of each trained model where the full demo writes one. Training examples run with a step limit (``--max-steps
2 --val-split none`` appended to ``train``, ``--max-steps 2`` to ``demo``). An example that needs what no fresh machine has (RefCOCO, released weights, a
GPU, ../shared) is skipped by a rule below that names the reason; every rule must still match an example.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List, Tuple

import click
import pytest

from rris_bench.cli import cli

REPO = Path(__file__).resolve().parents[1]
TRAINED = ("refsegformer", "lavt", "lavt-plus")
RUNS = ("rris-bench ", "torchrun ", "python ")  # what a shell example starts with (not pip, apt-get, ...)
STEP_LIMIT = ["--max-steps", "2", "--val-split", "none"]

# pattern (searched in the command) -> why it cannot run on a fresh machine
SKIPS = {
    r"--dataset (r?refcoco|grefcoco|ref-zom)": "needs RefCOCO / + / g, gRefCOCO or Ref-ZOM, which a fresh machine "
                                               "does not have",
    r"(?<!demo_out/)checkpoints/|swin_base_patch4": "needs released weights (a checkpoint, Swin or BERT)",
    r"--device cuda": "needs a GPU",
    r"\.\.\. ": "elides the options of the example above",
    r"mypackage": "a package of the user's own",
    r"\b(preds|val|test)\.jsonl\b": "a predictions file of the user's own model on real data",
    r"check_parity|run_parity": "the parity check: needs the official code (see docs/evaluating.md)",
}


def _commands(text: str) -> Iterator[str]:
    """The shell commands of ``text``: continuation lines joined, trailing comments dropped."""
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if current:
            current = f"{current} {line}"
        elif line.startswith(RUNS):
            current = line
        else:
            continue
        if current.endswith("\\"):
            current = current[:-1].rstrip()
            continue
        yield re.split(r"\s{2,}#\s", current)[0].strip()
        current = ""


def _walk(command: click.Command, name: str) -> Iterator[Tuple[str, click.Command]]:
    yield name, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for sub in command.list_commands(ctx):
            yield from _walk(command.get_command(ctx, sub), f"{name} {sub}")


def help_examples() -> List[Tuple[str, str]]:
    """(source, command) for every example under "Examples:" in every command's help."""
    out = []
    for name, command in _walk(cli, "rris-bench"):
        text = command.help or ""
        if "Examples:" in text:
            out += [(f"{name} --help", c) for c in _commands(text.split("Examples:", 1)[1])]
    return out


# the README, then the docs/ pages in the order a reader follows them (a page's examples use what earlier ones wrote)
DOCUMENTS = ("README.md", "docs/datasets.md", "docs/evaluating.md", "docs/running.md", "docs/leaderboards.md",
             "docs/benchmarks.md")


def document_examples() -> List[Tuple[str, str]]:
    """(source, command or Python code) for every bash and python block of the README and the docs/ pages, in order."""
    out = []
    for name in DOCUMENTS:
        text = (REPO / name).read_text(encoding="utf-8")
        for lang, body in re.findall(r"^ *```(bash|python)\n(.*?)^ *```", text, flags=re.S | re.M):
            line = text[:text.index(body)].count("\n") + 1
            if lang == "python":
                out.append((f"{name}:{line} (python)", body))
            else:
                out += [(f"{name}:{line}", c) for c in _commands(body)]
    return out


def with_step_limit(command: str) -> str:
    """A training example with a step limit: train gets ``--max-steps 2 --val-split none``, the demo (which
    trains three models) ``--max-steps 2``."""
    if re.search(r"(rris-bench|rris_bench\.cli) train ", command):
        return f"{command} {' '.join(STEP_LIMIT)}"
    if re.search(r"(rris-bench|rris_bench\.cli) demo\b", command):
        return f"{command} --max-steps 2"
    return command


def skip_reason(command: str) -> str:
    return next((reason for pattern, reason in SKIPS.items() if re.search(pattern, command)), "")


def _run(cmd: List[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """The scratch checkout: examples/, leaderboards/, the quick demo and a tiny checkpoint per trained model."""
    root = tmp_path_factory.mktemp("checkout")
    for folder in ("examples", "leaderboards"):
        shutil.copytree(REPO / folder, root / folder)
    done = _run(["rris-bench", "demo", "--out", "demo_out", "--models", "empty,oracle,gt-box"], root)
    assert done.returncode == 0, done.stderr[-2000:]
    for model in TRAINED:
        done = _run(["rris-bench", "train", model, "--data-root", "demo_out/data", "--dataset", "rtoy", "--preset",
                     "tiny", "--out", f"demo_out/checkpoints/{model}", *STEP_LIMIT], root)
        assert done.returncode == 0, done.stderr[-2000:]
    return root


EXAMPLES = document_examples() + help_examples()


def test_every_docs_page_is_read_for_examples():
    assert sorted(DOCUMENTS[1:]) == sorted(f"docs/{p.name}" for p in (REPO / "docs").glob("*.md"))


def test_examples_are_found_and_every_skip_rule_is_used():
    commands = [c for _, c in EXAMPLES]
    assert sum(1 for s, _ in EXAMPLES if s.endswith("--help")) >= 25 and len(commands) >= 60
    unused = [p for p in SKIPS if not any(re.search(p, c) for c in commands)]
    assert not unused, f"skip rules that match no example any more: {unused}"
    runnable = [c for c in commands if not skip_reason(c)]
    assert len(runnable) > len(commands) / 2, "most examples must run on a fresh machine"


@pytest.mark.slow
@pytest.mark.parametrize("source, example", EXAMPLES, ids=[f"{s}: {c[:60]}" for s, c in EXAMPLES])
def test_example_runs_as_printed(work, source, example):
    reason = skip_reason(example)
    if reason:
        pytest.skip(reason)
    if source.endswith("(python)"):
        script = work / "example.py"
        script.write_text(example, encoding="utf-8")
        cmd = [sys.executable, str(script)]
    else:
        cmd = ["bash", "-c", with_step_limit(example)]
    done = _run(cmd, work)
    assert done.returncode == 0, f"{source}: {example}\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}"
