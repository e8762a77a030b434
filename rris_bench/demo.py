"""The demo on the embedded toy world: generate it, add negatives, run every baseline, score them, rank them.

Everything runs on a CPU in a few minutes and is seeded: the same seed gives the same datasets, the same
predictions and the same numbers (the trained models train for a fixed number of steps, not a fixed time).
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from .run import harness
from .report import leaderboard
from . import metrics
from .datasets import toy
from .build import build_robust_dataset
from .errors import InputError
from .datasets import load_dataset
from .datasets.refer import robust_name

TRIVIAL_MODELS = ("empty", "oracle", "gt-box")
# name -> ("module:function", extra keyword arguments); each function trains the model's tiny preset for a
# fixed number of epochs: (data_root, dataset, out_dir, *, seed, progress, **extra) -> checkpoint path.
TRAINED_MODELS: Dict[str, Tuple[str, Dict[str, Any]]] = {
    "refsegformer": ("rris_bench.baselines.refsegformer.train:train_demo", {}),
    "lavt": ("rris_bench.baselines.lavt.train:train_demo", {"plus": False}),
    "lavt-plus": ("rris_bench.baselines.lavt.train:train_demo", {"plus": True}),
}
DEMO_MODELS = TRIVIAL_MODELS + tuple(TRAINED_MODELS)


def _say(line: str) -> None:
    """The demo's log: flushed at once, so its lines keep their order among the progress lines on stderr."""
    print(line, flush=True)


def _train(name: str, data_root: Path, dataset: str, out_dir: Path, seed: int, progress: bool,
           **options: Any) -> Path:
    """Train ``name``'s tiny preset on the toy world and return its checkpoint path (``options``: more keyword
    arguments of its train function, e.g. ``max_steps`` or LAVT+'s ``lavt_checkpoint``)."""
    import importlib

    target, extra = TRAINED_MODELS[name]
    module, function = target.split(":")
    return getattr(importlib.import_module(module), function)(data_root, dataset, out_dir, seed=seed,
                                                              progress=progress, **extra, **options)


def run_demo(out_dir: Path, *, seed: int = 0, split: str = "val", models: Sequence[str] = DEMO_MODELS,
             n_images: Optional[Dict[str, int]] = None, progress: bool = True, max_steps: Optional[int] = None,
             log: Callable[[str], None] = _say) -> Dict[str, Any]:
    """Run the whole pipeline into ``out_dir`` and return {"records": [...], "board": paths, "seconds": ...}.

    ``n_images`` (images per split) shrinks the toy world, e.g. for tests; the default is the toy world's.
    Layout: ``data/`` (toy and rtoy in the refer format), ``checkpoints/``, ``predictions/<model>.jsonl``,
    ``results/<model>.json`` (result records), ``leaderboard/`` (README.md, index.html, plots/).
    Training and running show progress bars (``progress``); torch's threads are whatever this process set:
    ``rris-bench demo`` calls ``rris_bench.threads.configure`` first (a count chosen from the machine's load).
    ``max_steps`` stops each model's training early (a quick look; the numbers are then not the documented
    ones). LAVT+ starts from the LAVT checkpoint written just before when both run, so LAVT trains once.
    """
    unknown = [m for m in models if m not in DEMO_MODELS]
    if unknown:
        raise InputError(f"unknown demo model(s) {', '.join(unknown)} (choose from {', '.join(DEMO_MODELS)})",
                         field="--models")
    out_dir = Path(out_dir)
    data = out_dir / "data"
    start = time.perf_counter()

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - start:6.1f}s] {message}")

    step(f"generating the toy world (seed {seed}) in {data}")
    toy.generate(data, seed=seed, n_images=n_images)
    step("adding negative sentences (10 per ref) -> rtoy")
    build_robust_dataset(data, "toy", seed=seed, progress=progress)
    dataset = load_dataset(data, robust_name("toy"))

    records: List[Dict[str, Any]] = []
    trained: Dict[str, Path] = {}
    for model in models:
        options: Dict[str, Any] = {}
        if model in TRAINED_MODELS:
            step(f"training {model} (tiny preset) on the toy world")
            extra: Dict[str, Any] = {} if max_steps is None else {"max_steps": max_steps}
            if model == "lavt-plus" and "lavt" in trained:
                extra["lavt_checkpoint"] = trained["lavt"]
            trained[model] = _train(model, data, dataset.name, out_dir / "checkpoints" / model, seed, progress,
                                    **extra)
            options["checkpoint"] = str(trained[model])
        step(f"running {model} on {dataset.name} {split}")
        predictions = out_dir / "predictions" / f"{model}.jsonl"
        harness.run(model, dataset, split, predictions, options=options, progress=progress,
                    overwrite=True)  # the demo's own folder: a partial file of an interrupted demo goes
        record = metrics.evaluate(dataset, predictions, [split], model=model, by=("strategy",))
        metrics.write_record(record, out_dir / "results" / f"{model}.json")
        records.append(record)

    board_dir = out_dir / "leaderboard"
    shutil.rmtree(board_dir, ignore_errors=True)  # a fresh board: an older toy version would be refused
    board = leaderboard.write_board(records, board_dir, html=True)
    step("done")
    log("")
    log(leaderboard.markdown_tables(records))
    return {"records": records, "board": board, "seconds": time.perf_counter() - start}
