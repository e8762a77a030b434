"""Model configs round-trip through checkpoints as plain dicts; this rebuilds the dataclass from one."""
from __future__ import annotations

from typing import Any, Dict, Iterable, Type, TypeVar

from rris_bench.errors import InputError

C = TypeVar("C")


def config_from_dict(cls: Type[C], d: Dict[str, Any], tuple_fields: Iterable[str], what: str) -> C:
    """``cls(**d)`` with JSON lists turned back into tuples; unknown fields are refused by name."""
    d = dict(d)
    for key in tuple_fields:
        if key in d:
            d[key] = tuple(d[key])
    unknown = set(d) - set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    if unknown:
        raise InputError(f"unknown {what} config fields {sorted(unknown)}", field="config")
    return cls(**d)
