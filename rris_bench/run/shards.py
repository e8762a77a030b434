"""Shards of a run: which sentences shard ``i`` of ``K`` predicts, the shard files, and the merge that joins
them into the file one process writes.

A run split in K shards (``rris-bench run --shard i/K`` on any scheduler, or the K processes of torchrun)
writes ``<out>.shard<i>-of-<K>``: a first line ``{"info": ..., "shard": ...}`` (the run's info header, plus
this shard's index, the run's K, adapter options, sample count, a digest of the whole plan and the block
``[start, stop)`` of plan positions it predicts) and its records in plan order. :func:`find` and
:func:`merge` check that the shards are all there, finished, complete and of one run, then write ``<out>``
with the records in plan order: the same bytes as an unsharded run.
"""
from __future__ import annotations

import glob
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from ..errors import InputError
from ..files import atomic_path
from ..metrics.predictions import jsonl_line

_SPEC = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
_NAME = re.compile(r"\.shard(\d+)-of-(\d+)(\.partial)?$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        """``"i/K"`` with 0 <= i < K and K >= 1; anything else is an InputError naming ``--shard``."""
        match = _SPEC.fullmatch(text)
        if match is None:
            raise InputError(f"expected i/K (shard i of K, counted from 0, e.g. 0/4), not {text!r}", field="--shard")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or index >= count:
            raise InputError(f"shard {index} of {count} does not exist: give i/K with K >= 1 and 0 <= i < K "
                             f"(the shards of {max(count, 1)} are 0/{max(count, 1)} to "
                             f"{max(count, 1) - 1}/{max(count, 1)})", field="--shard")
        return cls(index, count)

    def path(self, out: Path) -> Path:
        """``<out>.shard<i>-of-<K>``: the finished shard."""
        return out.with_name(f"{out.name}.shard{self.index}-of-{self.count}")

    def __str__(self) -> str:
        return f"shard {self.index} of {self.count}"


    def bounds(self, samples: int) -> Tuple[int, int]:
        """The plan positions ``[start, stop)`` this shard predicts out of ``samples``: K contiguous blocks
        whose sizes differ by at most one. Contiguous, so an image's sentences (adjacent in the plan) stay
        together except at the K - 1 boundaries, and merging is a concatenation."""
        return self.index * samples // self.count, (self.index + 1) * samples // self.count


def plan_digest(sent_ids: Sequence[int]) -> str:
    """sha256 of the planned sentence ids in order: two shards come from one plan only if it is equal."""
    return hashlib.sha256(",".join(map(str, sent_ids)).encode("ascii")).hexdigest()


def header(info: Dict[str, Any], shard: Shard, sent_ids: Sequence[int], options: Dict[str, Any]) -> Dict[str, Any]:
    """The first line of a shard file: the run's ``info`` and what the merge checks (``sent_ids``: the whole
    plan, in order)."""
    start, stop = shard.bounds(len(sent_ids))
    return {"info": info,
            "shard": {"index": shard.index, "count": shard.count,
                      "options": json.loads(json.dumps(options, sort_keys=True, default=repr)),
                      "samples": len(sent_ids), "plan": plan_digest(sent_ids), "start": start, "stop": stop}}


# what every shard of one run shares: all of its header but these
_OWN = ("index", "start", "stop")


def find(out: Path) -> List[Path]:
    """The finished shards of ``out``, in index order, after checking that they are one set: one K, none
    missing, none unfinished (a ``.partial`` left). Refusals name the shard files."""
    found: Dict[Tuple[int, int], Path] = {}
    unfinished: Dict[Tuple[int, int], Path] = {}
    for path in sorted(out.parent.glob(f"{glob.escape(out.name)}.shard*-of-*")):
        match = _NAME.search(path.name)
        if match is None or path.name[:match.start()] != out.name:
            continue
        (unfinished if match.group(3) else found)[int(match.group(1)), int(match.group(2))] = path
    one_per_count = {k: p for (_, k), p in sorted({**unfinished, **found}.items(), reverse=True)}
    if not one_per_count:
        raise InputError(f"no shard files {out.name}.shard<i>-of-<K> beside it: run the shards first "
                         "(rris-bench run ... --shard i/K)", out)
    if len(one_per_count) > 1:
        raise InputError("shards of different runs lie beside it (" +
                         ", ".join(f"{p.name} is one of {k}" for k, p in sorted(one_per_count.items())) +
                         "): remove the stale ones", out)
    (count,) = one_per_count
    for (index, _), path in sorted(unfinished.items()):  # also when an older finished copy lies beside it
        raise InputError(f"{Shard(index, count)} is unfinished: finish it with rris-bench run ... "
                         f"--shard {index}/{count} --resume", path)
    missing = [i for i in range(count) if (i, count) not in found]
    if missing:
        raise InputError(f"{Shard(missing[0], count)} is missing ({len(missing)} of {count} missing): run it with "
                         f"rris-bench run ... --shard {missing[0]}/{count}", Shard(missing[0], count).path(out))
    return [found[i, count] for i in range(count)]


def merge(out: Path, paths: Sequence[Path]) -> int:
    """Write ``out`` from the shard files ``paths`` (shards 0..K-1 of one run), records in plan order, and
    remove the shards; return the number of records. Raises InputError naming the shard file that is of
    another run (info, K, options or plan differ), incomplete, or not a shard file; ``out`` is then left alone."""
    heads: List[Dict[str, Any]] = []
    records: List[str] = []
    for k, path in enumerate(paths):
        head, lines = _read(path)
        own = head["shard"]
        if heads:
            first = heads[0]
            differ = [f"info {key}" for key in first["info"] if first["info"][key] != head["info"].get(key)]
            differ += [key for key in first["shard"] if key not in _OWN and first["shard"][key] != own.get(key)]
            if differ or set(head["info"]) != set(first["info"]):
                raise InputError(f"a shard of another run than {paths[0].name} (its {', '.join(differ) or 'info'} "
                                 "differ): rerun it with the same options, or remove it", path, field="shard")
        if own.get("index") != k or own.get("count") != len(paths):
            raise InputError(f"holds shard {own.get('index')} of {own.get('count')}, not {k} of {len(paths)} as "
                             "its name says", path, field="shard")
        expected = Shard(k, len(paths)).bounds(own["samples"])
        if (own.get("start"), own.get("stop")) != expected:
            raise InputError(f"holds plan positions {own.get('start')}..{own.get('stop')}, not those of shard {k} of "
                             f"{len(paths)}", path, field="shard")
        if len(lines) != expected[1] - expected[0]:
            raise InputError(f"incomplete: holds {len(lines)} of its {expected[1] - expected[0]} predictions (cut "
                             f"short or edited): rerun it with rris-bench run ... --shard {k}/{len(paths)}", path)
        heads.append(head)
        records += lines
    if plan_digest([json.loads(line)["sent_id"] for line in records]) != heads[0]["shard"]["plan"]:
        raise InputError("the shards' sentences are not the run's plan (edited files?)", paths[0], field="shard")
    with atomic_path(out) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(jsonl_line({"info": heads[0]["info"]}))
            fh.writelines(records)
    for path in paths:
        path.unlink()
    return len(records)


def _read(path: Path) -> Tuple[Dict[str, Any], List[str]]:
    """The header and record lines of a shard file, checked for shape (a record is one whole line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("the shard file is missing", path) from None
    except UnicodeDecodeError:
        raise InputError("not a shard file written by rris-bench run (not UTF-8 text)", path) from None
    lines = text.splitlines(keepends=True)
    try:
        head = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        head = None
    shard = head.get("shard") if isinstance(head, dict) else None
    if not isinstance(shard, dict) or not isinstance(head.get("info"), dict) \
            or not isinstance(shard.get("samples"), int):
        raise InputError('not a shard file written by rris-bench run (its first line is not {"info": ..., '
                         '"shard": ...})', path, "line 1")
    records = lines[1:]
    if records and not records[-1].endswith("\n"):
        raise InputError("incomplete: its last line is cut short", path, f"line {len(lines)}")
    return head, records
