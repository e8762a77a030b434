"""What a run writes: ``<out>.partial`` (or a shard's ``.partial``) appended batch by batch under its header line,
the records a resumed run keeps (checked to come from this same run), and the finished file in plan order."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..errors import InputError
from ..files import atomic_path
from ..metrics.predictions import jsonl_line
from .plan import Item
from .shards import Shard


def part_path(out: Path, shard: Optional[Shard]) -> Path:
    """Where a process appends: ``<out>.partial``, or ``<out>.shard<i>-of-<K>.partial`` for a shard."""
    done = out if shard is None else shard.path(out)
    return done.with_name(done.name + ".partial")


class RunOutput:
    """The files of one run: ``out``, its ``info`` header, the plan ``order`` (sent_id -> position) and whether
    an unfinished part may be discarded (``overwrite``)."""

    def __init__(self, out: Path, info: Dict[str, Any], order: Dict[int, int], overwrite: bool = False):
        self.out, self.info, self.order, self.overwrite = out, info, order, overwrite

    def kept(self, part: Path, done: Path, head: Dict[str, Any], mine: set, resume: bool) -> Dict[int, str]:
        """sent_id -> line of the records to keep (``resume``): those for ``mine`` already in ``part``, in a
        previous ``out`` or in a previous finished shard ``done``. Without ``resume``, a ``part`` holding
        predictions is refused unless ``overwrite``."""
        lines: Dict[int, str] = {}
        if resume:
            sources = [(self.out, {"info": self.info})] + ([(done, head)] if done != self.out else []) + [(part, head)]
            for source, expected in sources:
                if source.is_file():
                    lines.update(self.read(source, expected, mine))
        elif part.is_file() and not self.overwrite:
            held = sum(1 for line in part.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
            if held:
                raise InputError(f"holds {held} predictions of an unfinished run: rerun with --resume to continue "
                                 "it, or with --overwrite to discard them and start over", part)
        return lines

    def begin(self, part: Path, head: Dict[str, Any], lines: Dict[int, str]) -> Optional[bool]:
        """Write ``part`` afresh: the first line ``head``, then the kept ``lines`` in plan order; return whether
        the kept records carry scores (None when none is kept)."""
        with atomic_path(part) as tmp:
            tmp.write_text(jsonl_line(head) +
                           "".join(lines[sid] for sid in sorted(lines, key=self.order.__getitem__)),
                           encoding="utf-8")
        return "score" in json.loads(next(iter(lines.values()))) if lines else None

    def read(self, path: Path, head: Dict[str, Any], mine: Optional[set]) -> Dict[int, str]:
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
        lines = self.read(part, head, None)
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
