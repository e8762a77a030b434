"""torchrun support for the harness: which process this is (its shard: rank of size), and a gloo group to gather
results with.

torch is imported here only when ``WORLD_SIZE`` > 1 (under torchrun), so the core stays torch-free.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, List


@dataclass(frozen=True)
class World:
    rank: int
    size: int
    local_rank: int

    @property
    def distributed(self) -> bool:
        return self.size > 1

    def device(self, device: str) -> str:
        """``cuda`` means this process's own GPU under torchrun."""
        return f"cuda:{self.local_rank}" if self.distributed and device == "cuda" else device


def world() -> World:
    """The torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK), or a single process."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return World(rank, size, int(os.environ.get("LOCAL_RANK", str(rank))))


class Group:
    """A gloo process group (CPU) for the harness's few collective steps; destroyed on exit if it made it."""

    def __enter__(self) -> "Group":
        import torch.distributed as dist

        self._dist = dist
        self._owned = not dist.is_initialized()
        if self._owned:
            dist.init_process_group("gloo")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owned:
            self._dist.destroy_process_group()

    def all_gather(self, obj: Any) -> List[Any]:
        """Every process's ``obj`` (picklable), in rank order."""
        out: List[Any] = [None] * self._dist.get_world_size()
        self._dist.all_gather_object(out, obj)
        return out
