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
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import adapters, shards, torchrun
from .. import masks
from .adapters import Sample, Target
from ..errors import InputError
from ..files import PathLike, atomic_path, exclusive_lock
from ..rle import decode_counts
from ..metrics.predictions import info_record, jsonl_line, prediction_record
from .prefetch import Prefetcher, load_rgb
from .shards import Shard
from ..datasets.model import Dataset
from ..progress import bar as progress_bar

DEFAULT_BATCH_SIZE = 8


class AdapterError(InputError):
    """The adapter misbehaved: raised, or returned a wrong number of predictions, a mask of the wrong size,
    a score outside [0, 1]. The message names the adapter and the sample; what was written is kept."""


@dataclass(frozen=True)
class Item:
    """One sentence to predict (everything but the pixels)."""

    sent_id: int
    ref_id: int
    image_id: int
    sentence: str
    raw: str
    exists: bool


def plan(dataset: Dataset, splits: Sequence[str], *, group_by_image: bool = False,
         limit: Optional[int] = None) -> List[Item]:
    """Every sentence (positives and negatives) of every ref of ``splits``, in dataset order, or grouped by
    image (in order of first appearance) when the adapter asks; the first ``limit`` of them if given."""
    items = [Item(s["sent_id"], ref["ref_id"], ref["image_id"], s["sent"], s.get("raw", s["sent"]),
                  s.exists)
             for ref in dataset.refs_in(splits) for s in ref["sentences"]]
    if group_by_image:
        first = {}
        for it in items:
            first.setdefault(it.image_id, len(first))
        items.sort(key=lambda it: first[it.image_id])  # stable: sentence order kept within an image
    return items if limit is None else items[:limit]


def this_shard(shard: Optional[Shard], world: torchrun.World) -> Optional[Shard]:
    """The shard this process predicts: ``shard`` (``--shard``), its rank under torchrun, or None (all)."""
    if shard is not None and world.distributed:
        raise InputError("runs one shard in a single process; under torchrun every process is a shard already: "
                         "drop --shard or torchrun", field="--shard")
    return Shard(world.rank, world.size) if world.distributed else shard


def part_path(out: Path, shard: Optional[Shard]) -> Path:
    """Where a process appends: ``<out>.partial``, or ``<out>.shard<i>-of-<K>.partial`` for a shard."""
    done = out if shard is None else shard.path(out)
    return done.with_name(done.name + ".partial")


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
    """One run's fixed inputs: the adapter, the plan, the output path and the info header."""

    def __init__(self, name: str, adapter: Any, dataset: Dataset, items: List[Item], out: Path,
                 info: Dict[str, Any], batch_size: int, workers: int, overwrite: bool = False):
        self.name, self.adapter, self.dataset, self.items, self.out = name, adapter, dataset, items, out
        self.info, self.batch_size, self.workers, self.overwrite = info, batch_size, workers, overwrite
        self.order = {it.sent_id: k for k, it in enumerate(items)}
        self.with_target = bool(getattr(adapter, "uses_ground_truth", False))
        self.scored: Optional[bool] = None  # whether predictions carry scores: all or none
        self._rles: Dict[int, masks.RLE] = {}

    # --- the predict loop --------------------------------------------------------------------------
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
        self.finish(part, done, head, items, in_order=summary["resumed"] == 0)
        return {**summary, "out": str(done), "shard": None if shard is None else str(shard)}

    def predict(self, items: List[Item], head: Dict[str, Any], part: Path, done: Path, resume: bool, device: str,
                options: Dict[str, Any], progress: bool) -> Dict[str, Any]:
        """Predict ``items`` into ``part`` under the first line ``head`` (continuing it, or the finished file
        ``done``, when ``resume``); return this process's summary. ``part`` is (re)written only once the
        adapter's ``setup`` succeeded."""
        lines = self._kept(part, done, head, {it.sent_id for it in items}, resume)
        done = set(lines)
        todo = [it for it in items if it.sent_id not in done]
        batches = [todo[k:k + self.batch_size] for k in range(0, len(todo), self.batch_size)]
        summary = {"adapter": self.name, "dataset": self.dataset.name, "split": self.info["split"],
                   "out": str(self.out), "samples": len(items), "predicted": 0, "resumed": len(done),
                   "batches": 0, "batch_size": self.batch_size, "processes": 1, "setup_seconds": 0.0,
                   "model_seconds": 0.0, "data_seconds": 0.0, "overhead_seconds": 0.0, "wall_seconds": 0.0,
                   "samples_per_second": 0.0}
        if not todo:
            self._begin(part, head, lines)
            return summary
        # the first images load while the adapter sets up (weights loading overlaps with image decoding)
        with Prefetcher(self._load, [[it.image_id for it in b] for b in batches], workers=self.workers) as images:
            start = time.perf_counter()
            adapters.setup(self.name, self.adapter, device, options)
            summary["setup_seconds"] = time.perf_counter() - start
            self._begin(part, head, lines)
            try:
                self._loop(batches, images, part, summary, progress)
            finally:
                teardown = getattr(self.adapter, "teardown", None)
                if teardown is not None:
                    teardown()
        summary["samples_per_second"] = summary["predicted"] / summary["wall_seconds"]
        return summary

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
                predictions = self._call(batch, samples, part, summary)
                model += time.perf_counter() - tick
                fh.write("".join(self._record(it, s, p, part, summary)
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

    # --- checking what the adapter returns ---------------------------------------------------------
    def _fail(self, problem: str, it: Item, part: Path, summary: Dict[str, Any]) -> AdapterError:
        written = summary["predicted"] + summary["resumed"]
        return AdapterError(f"adapter {self.name}: {problem}, at sample sent_id {it.sent_id} (image {it.image_id}, "
                            f"{it.sentence!r}); the {written} predictions written before are kept in {part}: "
                            f"fix the adapter and rerun with --resume")

    def _call(self, batch: List[Item], samples: List[Sample], part: Path, summary: Dict[str, Any]) -> List[Any]:
        try:
            predictions = self.adapter.predict(samples)
        except Exception as exc:
            raise self._fail(f"predict() raised {adapters._describe_exception(exc)} on a batch of {len(batch)}",
                             batch[0], part, summary) from None
        try:
            predictions = list(predictions)
        except TypeError:
            raise self._fail(f"predict() returned {type(predictions).__name__}, not a list of Prediction",
                             batch[0], part, summary) from None
        if len(predictions) != len(batch):
            raise self._fail(f"predict() returned {len(predictions)} predictions for a batch of {len(batch)}",
                             batch[0], part, summary)
        return predictions

    def _record(self, it: Item, sample: Sample, prediction: Any, part: Path, summary: Dict[str, Any]) -> str:
        if not hasattr(prediction, "mask"):
            raise self._fail(f"returned {type(prediction).__name__}, not a Prediction", it, part, summary)
        segmentation = self._segmentation(prediction.mask, sample)
        if isinstance(segmentation, str):
            raise self._fail(segmentation, it, part, summary)
        score = getattr(prediction, "score", None)
        if score is not None:
            if isinstance(score, (bool, np.bool_)) or not isinstance(score, (int, float, np.number)) \
                    or not math.isfinite(float(score)) or not 0.0 <= float(score) <= 1.0:
                raise self._fail(f"score {score!r} is not a number in [0, 1]", it, part, summary)
        if self.scored is None:
            self.scored = score is not None
        elif self.scored != (score is not None):
            raise self._fail("gave a score for some samples and not for others (give all or none)", it, part,
                             summary)
        return jsonl_line(prediction_record(it.sent_id, it.image_id, segmentation,
                                            None if score is None else float(score)))

    @staticmethod
    def _segmentation(mask: Any, sample: Sample) -> Union[None, masks.RLE, str]:
        """The RLE to write (None for "no target", also for an all-empty mask), or a string saying what is
        wrong with the mask."""
        size = (sample.height, sample.width)
        if mask is None:
            return None
        if isinstance(mask, np.ndarray):
            if mask.shape != size:
                return (f"mask of shape {mask.shape} for an image of {size[0]}x{size[1]} "
                        "(masks must be at the image's original size)")
            if mask.dtype != bool:
                if mask.dtype.kind not in "iu" or (mask.size and (mask.min() < 0 or mask.max() > 1)):
                    return f"mask of dtype {mask.dtype} (give a boolean mask: threshold scores or logits first)"
            if not mask.any():
                return None
            return masks.encode(mask.view(np.uint8) if mask.dtype == bool else mask)  # the view skips a cast
        if isinstance(mask, dict) and "counts" in mask and "size" in mask:
            counts = mask["counts"].decode("ascii") if isinstance(mask["counts"], bytes) else mask["counts"]
            if list(mask["size"]) != list(size) or not isinstance(counts, str):
                return (f"RLE of size {mask['size']} for an image of {size[0]}x{size[1]} "
                        "(masks must be at the image's original size)")
            checked = decode_counts([counts], [size[0] * size[1]])
            if not checked.valid[0]:
                return f"malformed RLE ({checked.reason[0]})"
            return {"size": list(size), "counts": counts} if checked.area[0] else None
        return f"mask of type {type(mask).__name__} (give a boolean array, a COCO RLE dict or None)"

    # --- the files -------------------------------------------------------------------------------
    def _kept(self, part: Path, done: Path, head: Dict[str, Any], mine: set, resume: bool) -> Dict[int, str]:
        """sent_id -> line of the records to keep (``resume``): those for ``mine`` already in ``part``, in a
        previous ``out`` or in a previous finished shard ``done``. Without ``resume``, a ``part`` holding
        predictions is refused unless ``overwrite``."""
        lines: Dict[int, str] = {}
        if resume:
            sources = [(self.out, {"info": self.info})] + ([(done, head)] if done != self.out else []) + [(part, head)]
            for source, expected in sources:
                if source.is_file():
                    lines.update(self._read(source, expected, mine))
        elif part.is_file() and not self.overwrite:
            held = sum(1 for line in part.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
            if held:
                raise InputError(f"holds {held} predictions of an unfinished run: rerun with --resume to continue "
                                 "it, or with --overwrite to discard them and start over", part)
        return lines

    def _begin(self, part: Path, head: Dict[str, Any], lines: Dict[int, str]) -> None:
        """Write ``part`` afresh: the first line ``head``, then the kept ``lines`` in plan order."""
        with atomic_path(part) as tmp:
            tmp.write_text(jsonl_line(head) +
                           "".join(lines[sid] for sid in sorted(lines, key=self.order.__getitem__)),
                           encoding="utf-8")
        if lines and self.scored is None:
            self.scored = "score" in json.loads(next(iter(lines.values())))

    def _read(self, path: Path, head: Dict[str, Any], mine: Optional[set]) -> Dict[int, str]:
        """sent_id -> line of the records in ``path`` (only those in ``mine`` if given), checking that its first
        line is ``head`` (the file was made by this same run). A last line cut short by a crash is dropped."""
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines.pop()
        if not lines:
            return {}
        try:
            first = json.loads(lines[0])
        except json.JSONDecodeError:
            raise InputError("not a predictions file written by rris-bench run (bad first line)", path) from None
        if first != head:
            differ = ", ".join(_differing(head, first)) or "info"
            raise InputError(f"made by another run (its {differ} differ): delete it or run without --resume", path,
                             field="info")
        out: Dict[int, str] = {}
        for n, line in enumerate(lines[1:], 2):
            try:
                sent_id = json.loads(line)["sent_id"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError("not a prediction record", path, f"line {n}") from None
            if sent_id not in self.order:
                raise InputError(f"sent_id {sent_id} is not among this run's samples (another --limit or "
                                 "split?): delete the file or run without --resume", path, f"line {n}")
            if mine is None or sent_id in mine:
                out[sent_id] = line
        return out

    def finish(self, part: Path, done: Path, head: Dict[str, Any], items: List[Item], in_order: bool) -> None:
        """Write ``done`` from the finished ``part``: its records in the order of ``items`` (plan order) under
        ``head``. A part this run wrote in that order (``in_order``) is simply renamed."""
        if in_order:
            os.replace(part, done)
            return
        lines = self._read(part, head, None)
        missing = [it.sent_id for it in items if it.sent_id not in lines]
        if missing:
            raise InputError(f"{len(missing)} samples have no prediction (first: sent_id {missing[0]})", part)
        if list(lines) == [it.sent_id for it in items]:
            os.replace(part, done)
            return
        with atomic_path(done) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(jsonl_line(head))
                fh.writelines(lines[it.sent_id] for it in items)
        part.unlink()


def _differing(ours: Dict[str, Any], theirs: Any) -> List[str]:
    """The header fields in which ``theirs`` differs from ``ours`` (``info`` fields by name, others as
    ``shard count``)."""
    names = []
    for section, fields in ours.items():
        other = theirs.get(section) if isinstance(theirs, dict) else None
        names += [key if section == "info" else f"{section} {key}" for key in fields
                  if not isinstance(other, dict) or other.get(key) != fields[key]]
    return names


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
