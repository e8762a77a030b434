"""The ground truth of each ref under a protocol: the union of its targets' masks, as one RLE.

A ref's targets are a tuple of annotation ids, empty for "no target" (``Ref.targets`` of the dataset model).
Its ground truth is the union of the targets' masks, crowd annotations left out as the format's loader does
(``Dataset.mask_anns``) unless the protocol keeps them (Ref-ZOM); the default rules are ``groundtruth.ref_ground_truth``'s. Two protocol rules change an annotation's
mask:

- parts ``sum==1``: the refer API sums an annotation's polygon parts and the official loaders keep
  ``mask == 1``, so pixels where two parts overlap drop out (R-RIS, LAVT; SESAME's torch.histc drops the
  value 2 the same way). Only annotations with several parts are decoded to find them.
- resolution ``polygons-scaled``: ReLA scales each annotation's polygons by (side / width, side / height) and
  rasterises them at side x side (detectron2 ``ResizeTransform.apply_coords`` + ``convert_coco_poly_to_mask``).

Unions of several annotations are merged in RLE space (pycocotools ``merge``; under ``sum==1`` with a
complement built from the runs): no dense decoding.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
from pycocotools import mask as mask_utils

from .. import masks
from ..datasets.model import Dataset, Ref
from .groundtruth import ground_truth, ref_ground_truth
from .protocols import PARTS_SUM_IS_ONE, PARTS_UNION, POLYGONS_SCALED, Protocol
from .resize import resize_nearest
from ..rle import foreground_runs


def _valid_polygons(segmentation: Any) -> List[List[float]]:
    return [p for p in segmentation if len(p) >= 6 and len(p) % 2 == 0]


def part_counts(dataset: Dataset, ann_id: int) -> np.ndarray:
    """(H, W) uint8: how many of the annotation's polygon parts cover each pixel (the refer API's np.sum)."""
    ann = dataset.anns[ann_id]
    image = dataset.images[ann["image_id"]]
    polygons = _valid_polygons(ann["segmentation"]) if isinstance(ann["segmentation"], list) else []
    if len(polygons) < 2:
        return masks.decode(dataset.ann_rle(ann_id)).astype(np.uint8)
    parts = mask_utils.decode(mask_utils.frPyObjects(polygons, image["height"], image["width"]))
    return parts.sum(axis=2).astype(np.uint8)


def _single_part_rle(dataset: Dataset, ann_id: int) -> masks.RLE:
    """The annotation's pixels covered by exactly one polygon part (``mask == 1`` after the refer API's sum)."""
    seg = dataset.anns[ann_id]["segmentation"]
    if not isinstance(seg, list) or len(_valid_polygons(seg)) < 2:
        return dataset.ann_rle(ann_id)
    return masks.encode(part_counts(dataset, ann_id) == 1)


def _scaled_polygons_rle(dataset: Dataset, ann_id: int, side: int) -> masks.RLE:
    """The annotation's polygons scaled to side x side and rasterised there (ReLA's test mapper); an RLE
    annotation is resized with Pillow's NEAREST rule instead."""
    ann = dataset.anns[ann_id]
    image = dataset.images[ann["image_id"]]
    seg = ann["segmentation"]
    if not isinstance(seg, list):
        return masks.encode(resize_nearest(dataset.ann_rle(ann_id), side))
    scale = np.array([side * 1.0 / image["width"], side * 1.0 / image["height"]])
    polygons = [(np.asarray(p, dtype=np.float64).reshape(-1, 2) * scale).reshape(-1).tolist()
                for p in _valid_polygons(seg)]
    if not polygons:
        return masks.empty(side, side)
    return masks.union(mask_utils.frPyObjects(polygons, side, side), side, side)


def reference_masks(dataset: Dataset, refs: Sequence[Ref], protocol: Protocol,
                    use_cache: bool = True) -> Tuple[List[masks.RLE], np.ndarray]:
    """Per ref: its ground-truth RLE under ``protocol`` and that RLE's area. At the image's size, except under
    ``polygons-scaled``, where it is already side x side."""
    if protocol.parts == PARTS_UNION and not protocol.crowd and protocol.resolution != POLYGONS_SCALED:
        return ref_ground_truth(dataset, refs, use_cache=use_cache)
    targets = [ref.targets if protocol.crowd else tuple(dataset.mask_anns(ref)) for ref in refs]
    wanted = sorted({a for t in targets for a in t})
    if protocol.resolution == POLYGONS_SCALED:
        side = int(protocol.side)
        per_ann = ground_truth(dataset, wanted, use_cache, lambda a: _scaled_polygons_rle(dataset, a, side),
                               f"polygons{side}")
    elif protocol.parts == PARTS_SUM_IS_ONE:
        per_ann = ground_truth(dataset, wanted, use_cache, lambda a: _single_part_rle(dataset, a), "parts1")
    else:
        per_ann = ground_truth(dataset, wanted, use_cache)
    rles: List[masks.RLE] = []
    for ref, anns in zip(refs, targets):
        image = dataset.images[ref["image_id"]]
        if protocol.resolution == POLYGONS_SCALED:
            size = (int(protocol.side), int(protocol.side))
        else:
            size = (image["height"], image["width"])
        if len(anns) == 1:
            rles.append(per_ann[anns[0]][0])
        elif anns and protocol.parts == PARTS_SUM_IS_ONE and protocol.resolution != POLYGONS_SCALED:
            rles.append(_sesame_union(dataset, anns, per_ann))
        else:
            rles.append(masks.union([per_ann[a][0] for a in anns], *size))
    areas = np.array([per_ann[t[0]][1] if len(t) == 1 else masks.area(r) for t, r in zip(targets, rles)],
                     dtype=np.int64)
    return rles, areas


def _sesame_union(dataset: Dataset, anns: Sequence[int], once: Dict[int, Tuple[masks.RLE, int]]) -> masks.RLE:
    """Several annotations under the ``sum==1`` rule: SESAME ORs the annotations' uint8 part counts and only
    the value 1 counts. An OR of counts is 1 exactly where every count is 0 or 1 and one is 1, so this is the
    union of the pixels each annotation covers once (``once``: per annotation, ``_single_part_rle``) minus
    the pixels any covers twice or more, all merged in RLE space (pycocotools; no dense decoding)."""
    image = dataset.images[dataset.anns[anns[0]]["image_id"]]
    size = (image["height"], image["width"])
    twice = [masks.intersection(dataset.ann_rle(a), _complement(once[a][0])) for a in anns]
    return masks.intersection(masks.union([once[a][0] for a in anns], *size),
                              _complement(masks.union(twice, *size)))


def _complement(rle: masks.RLE) -> masks.RLE:
    """The pixels ``rle`` leaves out (pycocotools has no complement: its runs with the roles swapped)."""
    height, width = int(rle["size"][0]), int(rle["size"][1])
    counts = rle["counts"] if isinstance(rle["counts"], str) else rle["counts"].decode("ascii")
    _, start, end = foreground_runs([counts])
    runs = np.diff(np.concatenate([[0], np.column_stack([start, end]).ravel(), [height * width]]))
    runs = runs[1:] if runs[0] == 0 else np.concatenate([[0], runs])  # the complement's background first
    return masks.from_runs(runs[:-1] if len(runs) > 1 and runs[-1] == 0 else runs, height, width)
