"""Runs an adapter over a split and writes its predictions file (JSON Lines), batch by batch.

Images are decoded in worker threads while the model runs. Records are appended and flushed per batch to
``<out>.partial``, so a crash or Ctrl-C loses at most one batch, and ``resume=True`` continues from what is
there (a lock on it refuses a second run on the same ``<out>`` by name); the finished file is renamed onto
``<out>`` with its records in the plan order, so an interrupted and resumed run ends byte-identical to an
uninterrupted one. A run can be split in K shards: with ``shard=Shard(i, K)`` (``--shard i/K``, any
scheduler) or under torchrun (process ``rank`` of ``size``), each shard predicts its block of the plan
(:meth:`rris_bench.run.shards.Shard.bounds`) and writes ``<out>.shard<i>-of-<K>``;
:func:`rris_bench.run.shards.merge` (``rris-bench merge``, or rank 0 under torchrun) joins them in plan
order, so K shards write the file one process writes.

This module is the loop; its parts: ``plan`` (what is predicted, in which order), ``answers`` (checking what the
adapter returns) and ``output`` (the part file, what a resumed run keeps, the finished file).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import masks
from ..datasets.model import Dataset
from ..errors import InputError
from ..files import PathLike, exclusive_lock
from ..metrics.predictions import info_record
from ..progress import bar as progress_bar
from . import adapters, shards, torchrun
from .adapters import Sample, Target
from .answers import AnswerChecker
from .output import RunOutput, part_path
from .plan import Item, plan
from .prefetch import Prefetcher, load_rgb
from .shards import Shard

DEFAULT_BATCH_SIZE = 8


def this_shard(shard: Optional[Shard], world: torchrun.World) -> Optional[Shard]:
    """The shard this process predicts: ``shard`` (``--shard``), its rank under torchrun, or None (all)."""
    if shard is not None and world.distributed:
        raise InputError("runs one shard in a single process; under torchrun every process is a shard already: "
                         "drop --shard or torchrun", field="--shard")
    return Shard(world.rank, world.size) if world.distributed else shard


def run(adapter_or_name: Union[str, Any], dataset: Dataset, split: Union[str, Sequence[str]],
        out_path: PathLike, *, options: Optional[Dict[str, Any]] = None, device: str = "cpu",
        batch_size: Optional[int] = None, limit: Optional[int] = None, resume: bool = False,
        overwrite: bool = False, progress: bool = True, workers: int = 2,
        shard: Optional[Shard] = None) -> Dict[str, Any]:
    """Run an adapter (a registry name, ``file.py:Class``, ``module:Class``, or an adapter object) over
    ``split`` of ``dataset`` and write ``out_path`` (with ``shard``, only that shard's file, to be merged with
    :func:`rris_bench.run.shards.merge`); return the summary (counts, model / data / overhead seconds, the file
    written). A ``<out>.partial`` holding predictions of an interrupted run is continued with ``resume``,
    discarded with ``overwrite``, and otherwise refused: work is never deleted silently. Bad input and adapter
    failures raise InputError / AdapterError (exit 2 on the command line)."""
    if limit is not None and limit < 1:
        raise InputError(f"the limit must be a positive number of samples, not {limit}", field="--limit")
    if batch_size is not None and batch_size < 1:
        raise InputError(f"the batch size must be positive, not {batch_size}", field="--batch-size")
    if resume and overwrite:
        raise InputError("give --resume (continue the partial file) or --overwrite (discard it), not both",
                         field="--overwrite")
    splits = [split] if isinstance(split, str) else list(split)
    world = torchrun.world()
    shard = this_shard(shard, world)
    if isinstance(adapter_or_name, str):
        name, adapter = adapters.create(adapter_or_name)
    else:
        adapter = adapter_or_name
        name = getattr(adapter, "name", "") or type(adapter).__name__
    items = plan(dataset, splits, group_by_image=bool(getattr(adapter, "group_by_image", False)), limit=limit)
    job = _Job(name, adapter, dataset, items, Path(out_path),
               info_record(dataset.name, dataset.split_by, splits, name, dataset.sha256),
               batch_size or getattr(adapter, "batch_size", None) or DEFAULT_BATCH_SIZE, workers, overwrite)
    with exclusive_lock(part_path(job.out, shard), "writing (a second rris-bench run on the same --out?)"):
        if not world.distributed:
            return job.predict_shard(shard, resume, device, options or {}, progress)
        with torchrun.Group() as group:
            return _run_distributed(job, world, group, resume, device, options or {}, progress)


def _run_distributed(job: "_Job", world: torchrun.World, group: torchrun.Group, resume: bool, device: str,
                     options: Dict[str, Any], progress: bool) -> Dict[str, Any]:
    """Each process predicts its shard; all report; rank 0 merges the shards once every process is done."""
    summary: Optional[Dict[str, Any]] = None
    error: Optional[Exception] = None
    try:
        summary = job.predict_shard(Shard(world.rank, world.size), resume, world.device(device), options,
                                    progress and world.rank == 0)
    except Exception as exc:  # every process must reach the gather, or the others wait forever
        error = exc
    reports = group.all_gather((summary, None if error is None else str(error)))
    if error is not None:
        raise error
    failed = [(rank, f) for rank, (_, f) in enumerate(reports) if f is not None]
    if failed:
        raise InputError(f"process {failed[0][0]} of {world.size} failed: {failed[0][1]}")
    if world.rank == 0:
        try:
            shards.merge(job.out, [Shard(r, world.size).path(job.out) for r in range(world.size)])
        except Exception as exc:  # the others wait for the merge's outcome: tell them
            error = exc
    merged = group.all_gather(None if error is None else str(error))[0]
    if error is not None:
        raise error
    if merged is not None:
        raise InputError(f"process 0 could not merge the shards: {merged}")
    return {**_combine([s for s, _ in reports]), "out": str(job.out), "shard": None}


def _combine(summaries: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The summary of a torchrun run: counts and seconds summed over processes, wall time the longest."""
    total = dict(summaries[0])
    for key in ("samples", "predicted", "resumed", "batches", "model_seconds", "data_seconds", "overhead_seconds",
                "setup_seconds"):
        total[key] = sum(s[key] for s in summaries)
    total["wall_seconds"] = max(s["wall_seconds"] for s in summaries)
    total["samples_per_second"] = total["predicted"] / total["wall_seconds"] if total["wall_seconds"] else 0.0
    total["processes"] = len(summaries)
    return total


class _Job:
    """One run: the adapter, the plan and the info header, with the parts that check the adapter's answers
    (``answers``) and write the files (``output``); its methods are the predict loop."""

    def __init__(self, name: str, adapter: Any, dataset: Dataset, items: List[Item], out: Path,
                 info: Dict[str, Any], batch_size: int, workers: int, overwrite: bool = False):
        self.name, self.adapter, self.dataset, self.items, self.out = name, adapter, dataset, items, out
        self.info, self.batch_size, self.workers = info, batch_size, workers
        self.output = RunOutput(out, info, {it.sent_id: k for k, it in enumerate(items)}, overwrite)
        self.answers = AnswerChecker(name)
        self.with_target = bool(getattr(adapter, "uses_ground_truth", False))
        self._rles: Dict[int, masks.RLE] = {}

    def predict_shard(self, shard: Optional[Shard], resume: bool, device: str, options: Dict[str, Any],
                      progress: bool) -> Dict[str, Any]:
        """Predict ``shard`` of the plan (None: all of it) into its part file, then write its finished file
        (``out``, or the shard file) in plan order; return the summary."""
        if shard is None:
            items, head, done = self.items, {"info": self.info}, self.out
        else:
            start, stop = shard.bounds(len(self.items))
            items = self.items[start:stop]
            head = shards.header(self.info, shard, [it.sent_id for it in self.items], options)
            done = shard.path(self.out)
        part = part_path(self.out, shard)
        summary = self.predict(items, head, part, done, resume, device, options, progress)
        self.output.finish(part, done, head, items, in_order=summary["resumed"] == 0)
        return {**summary, "out": str(done), "shard": None if shard is None else str(shard)}

    def predict(self, items: List[Item], head: Dict[str, Any], part: Path, done: Path, resume: bool, device: str,
                options: Dict[str, Any], progress: bool) -> Dict[str, Any]:
        """Predict ``items`` into ``part`` under the first line ``head`` (continuing it, or the finished file
        ``done``, when ``resume``); return this process's summary. ``part`` is (re)written only once the
        adapter's ``setup`` succeeded."""
        lines = self.output.kept(part, done, head, {it.sent_id for it in items}, resume)
        done = set(lines)
        todo = [it for it in items if it.sent_id not in done]
        batches = [todo[k:k + self.batch_size] for k in range(0, len(todo), self.batch_size)]
        summary = {"adapter": self.name, "dataset": self.dataset.name, "split": self.info["split"],
                   "out": str(self.out), "samples": len(items), "predicted": 0, "resumed": len(done),
                   "batches": 0, "batch_size": self.batch_size, "processes": 1, "setup_seconds": 0.0,
                   "model_seconds": 0.0, "data_seconds": 0.0, "overhead_seconds": 0.0, "wall_seconds": 0.0,
                   "samples_per_second": 0.0}
        if not todo:
            self._start(part, head, lines)
            return summary
        # the first images load while the adapter sets up (weights loading overlaps with image decoding)
        with Prefetcher(self._load, [[it.image_id for it in b] for b in batches], workers=self.workers) as images:
            start = time.perf_counter()
            adapters.setup(self.name, self.adapter, device, options)
            summary["setup_seconds"] = time.perf_counter() - start
            self._start(part, head, lines)
            try:
                self._loop(batches, images, part, summary, progress)
            finally:
                teardown = getattr(self.adapter, "teardown", None)
                if teardown is not None:
                    teardown()
        summary["samples_per_second"] = summary["predicted"] / summary["wall_seconds"]
        return summary

    def _start(self, part: Path, head: Dict[str, Any], lines: Dict[int, str]) -> None:
        """Write ``part`` afresh with the kept ``lines``; answers must then carry scores as those do."""
        kept_scored = self.output.begin(part, head, lines)
        if self.answers.scored is None:
            self.answers.scored = kept_scored

    def _loop(self, batches: List[List[Item]], images: Prefetcher, part: Path, summary: Dict[str, Any],
              progress: bool) -> None:
        bar = progress_bar(sum(map(len, batches)), self.name, "sample", enabled=progress)
        model = data = 0.0
        start = time.perf_counter()
        with open(part, "a", encoding="utf-8") as fh, bar:
            waiting = time.perf_counter()
            for batch, pixels in zip(batches, images):
                tick = time.perf_counter()
                data += tick - waiting
                samples = [self._sample(it, pixels[it.image_id]) for it in batch]
                tick = time.perf_counter()
                written = summary["predicted"] + summary["resumed"]
                predictions = self.answers.call(self.adapter, batch, samples, part, written)
                model += time.perf_counter() - tick
                fh.write("".join(self.answers.record(it, s, p, part, written)
                                 for it, s, p in zip(batch, samples, predictions)))
                fh.flush()
                summary["predicted"] += len(batch)
                summary["batches"] += 1
                bar.update(len(batch))
                waiting = time.perf_counter()
        wall = time.perf_counter() - start
        summary.update(model_seconds=model, data_seconds=data, wall_seconds=wall,
                       overhead_seconds=max(0.0, wall - model - data))

    def _load(self, image_id: int) -> np.ndarray:
        image = self.dataset.images[image_id]
        if not getattr(self.adapter, "reads_images", True):  # one black pixel broadcast: no file, no memory
            return np.broadcast_to(np.zeros(3, dtype=np.uint8), (image["height"], image["width"], 3))
        return load_rgb(self.dataset.image_path(image_id), image["height"], image["width"])

    def _sample(self, it: Item, pixels: np.ndarray) -> Sample:
        height, width = pixels.shape[:2]
        target = None
        if self.with_target:
            target = Target(it.exists, self._ref_rle(it.ref_id), self.dataset.ref_box(it.ref_id),
                            frozenset(self.dataset.image_categories.get(it.image_id, ())),
                            self.dataset.instances.get("categories", ()))
        return Sample(pixels, it.image_id, height, width, it.sent_id, it.ref_id, it.sentence, it.raw, target)

    def _ref_rle(self, ref_id: int) -> masks.RLE:
        if ref_id not in self._rles:
            self._rles[ref_id] = self.dataset.ref_rle(ref_id)
        return self._rles[ref_id]

def format_summary(summary: Dict[str, Any]) -> str:
    """A few aligned lines for the terminal."""
    model, data, overhead = summary["model_seconds"], summary["data_seconds"], summary["overhead_seconds"]
    # a share of the model's time says something only when the model takes time; per sample it always does
    per_sample = f"{1000.0 * overhead / summary['predicted']:.2f} ms per sample" if summary["predicted"] else ""
    share = f"{100.0 * overhead / model:.1f}% of the model's time" if model >= 1.0 else ""
    share = f" ({', '.join(p for p in (per_sample, share) if p)})" if per_sample or share else ""
    rows: Iterable[Tuple[str, str]] = (
        ("adapter", summary["adapter"]),
        ("samples", f"{summary['samples']} ({summary['predicted']} predicted, {summary['resumed']} resumed, "
                    f"{summary['processes']} process{'es' if summary['processes'] > 1 else ''}"
                    f"{'; ' + summary['shard'] if summary.get('shard') else ''})"),
        ("model time", f"{model:.2f} s ({summary['samples_per_second']:.1f} samples/s overall)"),
        ("data time", f"{data:.2f} s waiting for images"),
        ("overhead", f"{overhead:.2f} s{share}"),
        ("written", summary["out"]),
    )
    return "\n".join(f"{k:<11} {v}" for k, v in rows)
