"""Run a row-wise job on two cores: a forked child takes the second half of the rows, this process the first.

Parsing, checking and measuring the records of a predictions file are independent per record. A forked
child sees the dataset and the file's text without copying them, and sends back only its small result
arrays. Where fork is unavailable, or the job is small, everything runs here.
"""
from __future__ import annotations

import os
import pickle
import traceback
from typing import Any, Callable, Optional

MIN_ROWS = 20_000  # below this the fork costs more than it saves


def in_halves(job: Callable[[int, int], Any], n_rows: int, merge: Callable[[Any, Any], Any],
              split_at: Optional[int] = None, work: Optional[int] = None) -> Any:
    """``merge(job(0, k), job(k, n_rows))`` with the two calls on two processes; ``k`` is ``split_at`` or
    ``n_rows // 2``. ``job`` must only read shared state and return something picklable. ``work`` (default
    ``n_rows``) is compared with MIN_ROWS to decide whether forking pays. An exception of the first half is
    raised first; one of the second half is raised as itself when it can be pickled."""
    k = n_rows // 2 if split_at is None else split_at
    small = (n_rows if work is None else work) < MIN_ROWS
    if small or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or k in (0, n_rows):
        return job(0, n_rows)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running any exit handler of the parent
        os.close(read_end)
        try:
            payload = pickle.dumps((True, job(k, n_rows)), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # noqa: BLE001 - the parent re-raises it
            payload = _failure(exc)
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_end)
    try:
        first = job(0, k)
    finally:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
    if not data:
        raise RuntimeError("the second half failed in the child process: it died without an answer")
    ok, second = pickle.loads(data)  # our own child's bytes, through a pipe only it and we hold
    if not ok:
        if isinstance(second, BaseException):
            raise second
        raise RuntimeError(f"the second half failed in the child process:\n{second}")
    return merge(first, second)


def _failure(exc: BaseException) -> bytes:
    """The exception itself, pickled, or its traceback as text when it cannot be pickled."""
    try:
        return pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - any pickling failure falls back to the text
        return pickle.dumps((False, traceback.format_exc()))
