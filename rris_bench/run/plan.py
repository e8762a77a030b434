"""What a run predicts: the plan, one ``Item`` per sentence of the chosen splits (dataset order, or grouped by
image when the adapter asks), the order every output file follows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

from ..datasets.model import Dataset


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
