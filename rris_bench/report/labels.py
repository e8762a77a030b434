"""What a result record's row is called on a board and in a plot: the model, its rescaled resolution and its
missing predictions (shared by the leaderboard tables and the plots)."""
from __future__ import annotations

from typing import Mapping, Optional


def resolution_of(record: Mapping) -> Optional[int]:
    """The ``--resolution`` masks were rescaled to before scoring (None: original size)."""
    value = (record.get("options") or {}).get("resolution")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def missing_count(record: Mapping, kind: str = "filled") -> int:
    """How many sentences had no prediction: ``filled`` ones were scored as empty answers (``evaluate --missing
    empty``), ``skipped`` ones were left out (``--missing skip``)."""
    value = (record.get("counts") or {}).get(f"missing_{kind}")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def model_label(record: Mapping) -> str:
    """The row name: the model, marked when scored at a rescaled resolution (another protocol) and when
    missing predictions were scored as empty (an incomplete file)."""
    res, filled, skipped = resolution_of(record), missing_count(record), missing_count(record, "skipped")
    return (str(record["model"]) + (f" @{res}x{res}" if res else "")
            + (f" [{filled} missing, scored as empty]" if filled else "")
            + (f" [{skipped} missing, not scored]" if skipped else ""))
