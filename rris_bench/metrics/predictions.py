"""The predictions schema ``rris-predictions/1``: writing records and reading files (checked against a
dataset by ``prediction_checks``).

One record per (image, sentence), keyed by ``sent_id``; ``segmentation`` is a COCO compressed RLE at the
image's original size or ``null`` (no target); ``score`` (optional) is the confidence that the target
exists. A file is either wrapped JSON ``{"info": ..., "predictions": [...]}``, a bare list of records, or
JSON Lines whose first line is ``{"info": ...}`` (what the harness writes incrementally).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from ..checks import line_problem, name_problem, quote
from ..errors import InputError
from ..files import PathLike, sha256_bytes

SCHEMA = "rris-predictions/1"


def info_record(dataset: str, split_by: str, split: Union[str, Sequence[str]], model: str,
                dataset_sha256: str) -> Dict[str, Any]:
    """The ``info`` header of a predictions file (the first line of a JSON Lines file)."""
    split_value = split if isinstance(split, str) else ",".join(split)
    return {"schema": SCHEMA, "dataset": dataset, "split_by": split_by, "split": split_value,
            "model": model, "dataset_sha256": dataset_sha256}


def prediction_record(sent_id: int, image_id: int, segmentation: Optional[Dict[str, Any]],
                      score: Optional[float] = None) -> Dict[str, Any]:
    """One prediction; ``segmentation`` None means "no target". ``score`` is left out when None."""
    record: Dict[str, Any] = {"sent_id": int(sent_id), "image_id": int(image_id)}
    if segmentation is None:
        record["segmentation"] = None
    else:
        counts = segmentation["counts"]
        record["segmentation"] = {"size": [int(segmentation["size"][0]), int(segmentation["size"][1])],
                                  "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}
    if score is not None:
        record["score"] = float(score)
    return record


def jsonl_line(obj: Any) -> str:
    """Compact, deterministic JSON of ``obj`` followed by a newline (one JSON Lines record)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False) + "\n"


# --- reading ---------------------------------------------------------------------------------------


@dataclass
class PredictionFile:
    """A predictions file: its ``info`` header (None if absent), its sha256 and its records.

    The records of a JSON Lines file are parsed when first asked for, and can be parsed in pieces
    (``chunk``) so that two processes each parse half of a large file. Positions are record indices for a
    JSON or list file and byte offsets into a JSON Lines file; ``size`` is the end, ``middle`` a position
    near half way where a record starts.
    """

    path: Path
    info: Optional[Dict[str, Any]]
    sha256: str
    parsed: Optional[List[Any]] = None  # every record, once parsed
    data: bytes = b""                   # JSON Lines: the file's bytes
    body_start: int = 0                 # JSON Lines: where the records start (after the header line)
    _lines: Optional[List[int]] = field(default=None, repr=False)  # JSON Lines: line number of each record

    @property
    def records(self) -> List[Any]:
        if self.parsed is None:
            self.parsed = self.chunk(0, self.size)
        return self.parsed

    @property
    def size(self) -> int:
        return len(self.parsed) if self.parsed is not None else len(self.data)

    def middle(self) -> int:
        if self.parsed is not None:
            return len(self.parsed) // 2
        cut = self.data.find(b"\n", (self.body_start + len(self.data)) // 2)
        return len(self.data) if cut < 0 else cut + 1

    def line_of(self, index: int) -> Optional[int]:
        """The line of the file record ``index`` is on (JSON Lines; None for a JSON file). For messages only:
        the line numbers are worked out when first asked for."""
        if not self.data:
            return None
        if self._lines is None:
            first = 1 + self.data.count(b"\n", 0, self.body_start)
            self._lines = [first + n for n, line in enumerate(self.data[self.body_start:].split(b"\n"))
                           if line.strip()]
        return self._lines[index] if 0 <= index < len(self._lines) else None

    def chunk(self, start: int, stop: int) -> List[Any]:
        """The records between two positions (0, ``middle()`` or ``size``)."""
        if self.parsed is not None:
            return self.parsed[start:stop]
        start = max(start, self.body_start)
        text = _utf8(self.path, self.data[start:stop], start)
        return _json_lines(self.path, text, 1 + self.data.count(b"\n", 0, start))


_TEXT = re.compile(rb"[^ \t\r\n]")  # where JSON whitespace ends


def read_predictions(path: PathLike) -> PredictionFile:
    """Open wrapped JSON, a bare list, or JSON Lines; structure only (``validate`` checks the content)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", path)
    with open(path, "rb") as fh:  # a file of garbage is refused from its start, before it is read whole
        head = fh.read(4096).lstrip(b" \t\r\n")
    if head and head[:1] not in (b"{", b"["):
        raise InputError(f"not a predictions file: JSON starts with {{ or [, this file with {quote(head[:16])}",
                         path)
    data = path.read_bytes()
    digest = sha256_bytes(data)
    first = _TEXT.search(data)
    if first is None:
        raise InputError("the file is empty", path)
    line_end = data.find(b"\n", first.start())
    line_end = len(data) if line_end < 0 else line_end + 1
    line = _utf8(path, data[first.start():line_end], first.start())
    try:  # a line holding one whole value is either the whole file or the first line of JSON Lines
        top, end = json.JSONDecoder().raw_decode(line)
        whole_line = not line[end:].strip()
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError, as is an over-long integer
        whole_line = False
    more = _TEXT.search(data, line_end) is not None
    if whole_line and more:
        _info_line_alone(top, path)
        if isinstance(top, dict) and set(top) == {"info"}:
            return PredictionFile(path, _info(top["info"], path), digest, data=data, body_start=line_end)
        return PredictionFile(path, None, digest, data=data, body_start=first.start())
    if not whole_line:
        try:
            top = json.loads(_utf8(path, data, 0))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", path) from None
        except RecursionError:
            raise InputError("not valid JSON (nested too deeply)", path) from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise InputError(f"not valid JSON ({str(exc)[:80]})", path) from None
    if isinstance(top, list):
        return PredictionFile(path, None, digest, top)
    if isinstance(top, dict) and set(top) == {"info"}:  # a JSON Lines file with its header only
        return PredictionFile(path, _info(top["info"], path), digest, [])
    if not isinstance(top, dict) or not isinstance(top.get("predictions"), list):
        raise InputError('expected {"info": ..., "predictions": [...]}, a list of records, or JSON Lines',
                         path)
    return PredictionFile(path, _info(top.get("info"), path), digest, top["predictions"])


def _info_line_alone(first: Any, path: Path) -> None:
    """A JSON Lines header must be ``{"info": {...}}`` alone: a first line holding ``info`` beside other keys
    (and no ``sent_id``) is refused, naming the keys, rather than read as a record without info."""
    if isinstance(first, dict) and "info" in first and "shard" in first:
        raise InputError("is one shard of a sharded run (rris-bench run --shard): join the shards with "
                         "rris-bench merge <out> and evaluate the merged file", path)
    if isinstance(first, dict) and "info" in first and "sent_id" not in first and set(first) != {"info"}:
        extra = ", ".join(sorted(map(str, set(first) - {"info"})))
        raise InputError(f'line 1 holds {extra} beside "info": the first line must be {{"info": {{...}}}} alone '
                         "(put other keys inside info)", path, field="info")


def _utf8(path: Path, data: bytes, offset: int) -> str:
    """``data`` (bytes ``offset``.. of ``path``) as text."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {offset + exc.start})", path) from None


INFO_TEXT_FIELDS = ("schema", "dataset", "split_by", "split", "model", "dataset_sha256")


def _info(info: Any, path: Path) -> Optional[Dict[str, Any]]:
    """The ``info`` header, checked: its fields are strings, ``dataset`` a dataset name (never a path) and
    ``model`` one line of printable text (it becomes a table row)."""
    if info is None:
        return None
    if not isinstance(info, dict):
        raise InputError(f"expected an object, found {type(info).__name__}", path, field="info")
    for key in INFO_TEXT_FIELDS:
        if key in info and info[key] is not None and not isinstance(info[key], str):
            raise InputError(f"expected a string, found {quote(info[key])}", path, field=f"info.{key}")
    if info.get("schema", SCHEMA) != SCHEMA:
        raise InputError(f"unknown schema {quote(info.get('schema'))} (this toolkit reads {SCHEMA})", path,
                         field="info.schema")
    for key, check in (("dataset", name_problem), ("model", line_problem)):
        problem = check(info[key]) if info.get(key) is not None else None
        if problem:
            raise InputError(problem, path, field=f"info.{key}")
    return info


_SCAN = json.scanner.make_scanner(json.JSONDecoder())  # the C scanner of json.loads, one value at a time


def _json_lines(path: Path, text: str, first_line: int) -> List[Any]:
    """The records of JSON Lines ``text`` whose first line is line ``first_line`` of ``path``."""
    try:
        return _json_lines_quickly(text)
    except (StopIteration, ValueError, RecursionError):  # blank lines, indentation or a bad line: line by line
        pass
    items = []
    for n, line in enumerate(text.split("\n"), first_line):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON ({exc.msg} at column {exc.colno})", path, f"line {n}") from None
        except RecursionError:
            raise InputError("not valid JSON (nested too deeply)", path, f"line {n}") from None
        except ValueError as exc:  # an integer of more than 4,300 digits
            raise InputError(f"not valid JSON ({str(exc)[:80]})", path, f"line {n}") from None
    return items


def _json_lines_quickly(text: str) -> List[Any]:
    """One value per line, each starting its line: scanned in place, without copying the text. Raises
    StopIteration or ValueError on anything else."""
    items: List[Any] = []
    append, find, end_of_text, start = items.append, text.find, len(text), 0
    while start < end_of_text:
        value, end = _SCAN(text, start)
        append(value)
        stop = find("\n", end)
        stop = end_of_text if stop < 0 else stop
        if stop != end and text[end:stop].strip():
            raise ValueError("more than one value on a line")
        start = stop + 1
    return items
