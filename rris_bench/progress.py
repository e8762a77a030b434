"""Progress bars for long work: a tqdm bar (count, rate, ETA) on a terminal, and whole plain lines every
``LOG_INTERVAL`` seconds when the output is a log file or a pipe (where tqdm would either stay silent or
fill the file with carriage returns)."""
from __future__ import annotations

import sys
from typing import IO, Any, Iterable, Optional

from tqdm import tqdm

LOG_INTERVAL = 10.0  # seconds between two lines when the output is not a terminal
LOG_FORMAT = "{desc}: {n_fmt}/{total_fmt} ({percentage:.0f}%) [{elapsed}<{remaining}, {rate_fmt}{postfix}]"


class _Lines:
    """A text stream for tqdm that turns each redraw into one line: carriage returns and the padding tqdm
    writes to erase the previous draw are dropped, as are blank writes (clearing a bar)."""

    def __init__(self, stream: IO[str]):
        self._stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").rstrip()
        if line:
            self._stream.write(line + "\n")

    def flush(self) -> None:
        self._stream.flush()


def bar(total: Optional[int], desc: str, unit: str, *, enabled: bool = True, initial: int = 0,
        leave: bool = True, stream: Optional[IO[str]] = None, iterable: Optional[Iterable] = None) -> tqdm:
    """A progress bar of ``total`` ``unit``s on ``stream`` (default stderr), or a disabled one; iterate over it
    when given an ``iterable`` (counted one unit per item), else call ``update``.

    On a terminal: tqdm redrawn in place. Otherwise: a line (count, elapsed, ETA, rate and any postfix such
    as the loss) when the bar starts, at most every ``LOG_INTERVAL`` seconds, and when it closes (if
    ``leave``). Update the postfix with ``set_postfix(..., refresh=False)`` so it does not force a line.
    """
    stream = sys.stderr if stream is None else stream
    common: Any = dict(iterable=iterable, total=total, desc=desc, unit=unit, initial=initial, leave=leave)
    if not enabled:
        return tqdm(disable=True, **common)
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return tqdm(file=stream, dynamic_ncols=True, **common)
    return tqdm(file=_Lines(stream), mininterval=LOG_INTERVAL, bar_format=LOG_FORMAT, **common)
