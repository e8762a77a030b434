"""Protocol profiles: how each official evaluator turns the same masks into its printed numbers.

A profile fixes everything that changes a number besides the masks themselves: the resolution rule, how a
ref's ground truth is built from its annotations (the parts rule, crowd annotations), which splits a split
name selects, the averaging, the metric set (and the names the official code prints them under), what a
positive with an empty union scores, and how "no target" is decided and scored. ``default`` is rris-bench's
own protocol (original resolution, true unions, every metric id). The facts come from each project's public
evaluation code, named in ``source``; ``rris-bench evaluate --explain`` prints them and how they differ.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..errors import InputError
from .definitions import METRIC_IDS, PRECISION_THRESHOLDS

# resolution rules
ORIGINAL = "original"              # every mask at the image's own size
RESIZE_NEAREST = "resize-nearest"  # ground truth resized to side x side by Pillow NEAREST (predictions too)
POLYGONS_SCALED = "polygons-scaled"  # each annotation's polygons scaled to side x side and rasterised there

# how an annotation's polygon parts make its mask
PARTS_UNION = "union"              # any part covers the pixel (pycocotools merge)
PARTS_SUM_IS_ONE = "sum==1"        # the refer API's np.sum over parts, then `mask == 1`: overlaps of parts drop

# split selection
SPLIT_EXACT = "exact"              # a split name selects refs with exactly that split
SPLIT_REFER_API = "refer-api"      # REFER.getRefIds: 'test' selects every split containing 'test', 'testA' every
#                                    split containing 'A' (the official loaders of R-RIS, LAVT, Ref-ZOM, SESAME)

# how a sentence answered "no target" is scored
NT_EMPTY_MASK = "empty-mask"       # its mask counts as empty (R-RIS --use_exist zeroes the output)
NT_GRES_LABEL = "gres-label"       # ReLA: a positive answered no-target keeps its union but scores I = 0


@dataclass(frozen=True)
class Protocol:
    """One evaluator's rules. ``metrics``: the ids reported, in order; ``printed_as``: id -> the name the official
    code prints (with its units when not percent); ``notes``: what the profile does not reproduce."""

    name: str
    title: str
    source: str
    resolution: str
    side: Optional[int]
    parts: str
    crowd: bool
    splits: str
    averaging: str
    metrics: Tuple[str, ...]
    printed_as: Dict[str, str]
    empty_union: str
    no_target_rule: str
    no_target_scoring: str
    positives_only: bool = False  # the official loader knows no negatives: score positive sentences only
    notes: Tuple[str, ...] = field(default_factory=tuple)

    def rules(self) -> Dict[str, Any]:
        """Every rule, for the result record."""
        out = asdict(self)
        out.pop("title")
        out["metrics"] = list(self.metrics)
        out["notes"] = list(self.notes)
        return out


_P = [f"P@{t:.1f}" for t in PRECISION_THRESHOLDS]
_P_CUMSUM = [f"{p}_cumsum" for p in _P]

PROTOCOLS: Dict[str, Protocol] = {p.name: p for p in [
    Protocol(
        name="default", title="rris-bench: every metric id, original resolution, true unions",
        source="rris-bench (docs/DESIGN metric table)", resolution=ORIGINAL, side=None, parts=PARTS_UNION,
        crowd=False, splits=SPLIT_EXACT, averaging="per id (mIoU per sentence, mIoU_ref per ref, ...)",
        metrics=METRIC_IDS, printed_as={}, empty_union="zero", no_target_rule="empty",
        no_target_scoring=NT_EMPTY_MASK),
    Protocol(
        name="rris-official", title="R-RefCOCO / R-RIS (jianzongwu/robust-ref-seg, main.py --use_exist)",
        source="jianzongwu/robust-ref-seg utils/validation.py, dataset/ReferDataset.py, dataset/transform.py",
        resolution=RESIZE_NEAREST, side=480, parts=PARTS_SUM_IS_ONE, crowd=False, splits=SPLIT_REFER_API,
        averaging="per ref (batch size 1: a ref per step)",
        metrics=("mIoU_ref", "oIoU", "mRR", "rIoU", *_P, *_P_CUMSUM),
        printed_as={"mIoU_ref": "mIoU", "oIoU": "oIoU", "mRR": "r", "rIoU": "rIoU",
                    **{f"{p}_cumsum": p for p in _P}},
        empty_union="nan", no_target_rule="score:0.5", no_target_scoring=NT_EMPTY_MASK,
        notes=("eval_mode 'cat' (one prediction per ref from the concatenated positives) is not a per-sentence "
               "file and is not reproduced",
               "the 8-process command averages each step over ranks and pads the last step with repeated refs "
               "(DistributedSampler); this profile is the single-process run",
               "IoU sums are float32 on the GPU; rris-bench sums in float64 (differences below 1e-4 points)",
               "P@X printed by the code accumulates the running sum of a ref's IoUs (P@X_cumsum here); the "
               "correct per-sentence P@X is reported beside it")),
    Protocol(
        name="gres", title="gRefCOCO / GRES (henghuiding/ReLA ReferEvaluator)",
        source="henghuiding/ReLA gres_model/evaluation/refer_evaluation.py, data/dataset_mappers/refcoco_mapper.py",
        resolution=POLYGONS_SCALED, side=480, parts=PARTS_UNION, crowd=False, splits=SPLIT_EXACT,
        averaging="per sentence",
        metrics=("gIoU", "cIoU_all", "N-acc", "T-acc", "N_acc", "T_acc", "P@0.7", "P@0.8", "P@0.9"),
        printed_as={"gIoU": "gIoU", "cIoU_all": "cIoU", "N_acc": "N_acc (fraction)", "T_acc": "T_acc (fraction)",
                    "P@0.7": "Pr@0.7", "P@0.8": "Pr@0.8", "P@0.9": "Pr@0.9"},
        empty_union="zero", no_target_rule="null", no_target_scoring=NT_GRES_LABEL,
        notes=("'no target' is the model's separate nt_label; from a file, null is that label by default "
               "(an all-zero RLE is a target answered with an empty mask)",
               "N_acc and T_acc are printed as fractions and are both 0 when the split has no no-target sample",
               "the multi-process run gathers every sample once (no padding): nothing to reproduce there")),
    Protocol(
        name="lavt", title="classic RIS (yz93/LAVT-RIS test.py)",
        source="yz93/LAVT-RIS test.py, data/dataset_refer_bert.py, transforms.py",
        resolution=RESIZE_NEAREST, side=480, parts=PARTS_SUM_IS_ONE, crowd=False, splits=SPLIT_REFER_API,
        averaging="per sentence", metrics=("mIoU", "oIoU", *_P),
        printed_as={"mIoU": "Mean IoU", "oIoU": "overall IoU", **{p: f"precision@{p[2:]}" for p in _P}},
        empty_union="zero", no_target_rule="empty", no_target_scoring=NT_EMPTY_MASK, positives_only=True,
        notes=("LAVT's loader has no notion of negatives: on data with negatives its code would score them "
               "against the ref's mask; this profile scores positive sentences only",)),
    Protocol(
        name="refzom", title="Ref-ZOM (toggle1995/RIS-DMMI test.py)",
        source="toggle1995/RIS-DMMI test.py, data/dataset_zom.py, refer/refer.py",
        resolution=RESIZE_NEAREST, side=480, parts=PARTS_UNION, crowd=True, splits=SPLIT_REFER_API,
        averaging="per sentence", metrics=("mIoU", "oIoU", *_P, "N-acc"),
        printed_as={"mIoU": "mean IoU", "oIoU": "overall IoU", **{p: f"precision@{p[2:]}" for p in _P},
                    "N-acc": "Mean accuracy for one-to-zero sample"},
        empty_union="zero", no_target_rule="empty", no_target_scoring=NT_EMPTY_MASK,
        notes=("Ref-ZOM's getMask unions every listed annotation, crowd ones included",)),
    Protocol(
        name="sesame", title="FP-RefCOCO / SESAME (see-say-segment/sesame eval_sesame.py)",
        source="see-say-segment/sesame eval_sesame.py, utils.py, dataloaders/refer_seg_dataset.py",
        resolution=ORIGINAL, side=None, parts=PARTS_SUM_IS_ONE, crowd=False, splits=SPLIT_REFER_API,
        averaging="cumulative over all queries", metrics=("exist_acc", "cIoU_all"),
        printed_as={"exist_acc": "See Accuracy (fraction)", "cIoU_all": "cIoU (fraction)"},
        empty_union="zero", no_target_rule="empty", no_target_scoring=NT_EMPTY_MASK,
        notes=("cIoU divides by (sum U + 1e-10): a relative difference below 1e-10",
               "the published command evaluates train_test_split='val' only",
               "ground-truth pixel values 2 (overlapping polygon parts) fall outside torch.histc's bins and "
               "count nowhere: the sum==1 parts rule")),
]}


def get_protocol(name: str) -> Protocol:
    """The profile called ``name``; InputError naming the choices otherwise."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise InputError(f"unknown protocol {name!r} (choose from {', '.join(PROTOCOLS)})",
                         field="--protocol") from None


def resolve_splits(requested: Optional[List[str]], available: List[str], rule: str) -> Optional[List[str]]:
    """The dataset's split names that ``requested`` selects under ``rule`` (None = every split).

    Under ``refer-api`` (lichengunc/refer ``getRefIds``): 'testA'/'testB'/'testC' select every split whose name
    contains the last letter, 'test' every split containing 'test', other names themselves. Raises InputError
    when a name selects nothing.
    """
    if requested is None:
        return None
    if rule == SPLIT_EXACT:
        return list(requested)
    out: List[str] = []
    for name in requested:
        if name in ("testA", "testB", "testC"):
            chosen = [s for s in available if name[-1] in s]
        elif name == "test":
            chosen = [s for s in available if "test" in s]
        else:
            chosen = [name] if name in available else []
        if not chosen:
            raise InputError(f"split {name!r} selects nothing under the {rule} split rule (has "
                             f"{', '.join(available)})", field="split")
        out += [s for s in chosen if s not in out]
    return out


_RULE_LABELS = (("resolution", "resolution"), ("side", "side"), ("parts", "polygon parts"),
                ("crowd", "crowd annotations in the union"), ("splits", "split names"),
                ("averaging", "averaging"), ("positives_only", "negative sentences"),
                ("empty_union", "positive with U = 0 scores"),
                ("no_target_rule", "no target when (default rule)"),
                ("no_target_scoring", "a no-target answer is scored as"))


def _rule_value(protocol: Protocol, key: str) -> str:
    value = getattr(protocol, key)
    if key == "side":
        return "original size" if value is None else f"{value} x {value}"
    if key == "crowd":
        return "kept" if value else "left out"
    if key == "positives_only":
        return "dropped" if value else "scored"
    if key == "empty_union":
        return "NaN (the metric prints nan)" if value == "nan" else "0"
    return str(value)


def explain_protocols(name: Optional[str] = None) -> str:
    """Text: a table of every profile's rules, then per profile (or only ``name``'s) each rule where it
    differs from ``default``, its metric set with the names the official code prints, and its notes."""
    chosen = [get_protocol(name)] if name else list(PROTOCOLS.values())
    names = list(PROTOCOLS)
    rows = [["rule", *names]] + [[label, *(_rule_value(PROTOCOLS[n], key) for n in names)]
                                 for key, label in _RULE_LABELS]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["Protocol profiles (--protocol; --no-target-rule overrides the default rule):", ""]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    base = PROTOCOLS["default"]
    for p in chosen:
        lines += ["", f"{p.name}: {p.title}", f"    source: {p.source}"]
        diffs = [f"{label}: {_rule_value(p, key)} (default: {_rule_value(base, key)})"
                 for key, label in _RULE_LABELS if getattr(p, key) != getattr(base, key)]
        lines += [f"    differs from default in {d}" for d in diffs] or ["    the reference profile"]
        others = [o.name for o in PROTOCOLS.values() if o.name != p.name and o.rules() == p.rules()]
        if others:
            lines.append(f"    same rules as {', '.join(others)}")
        shown = ", ".join(f"{m} (printed as {p.printed_as[m]!r})" if m in p.printed_as else m for m in p.metrics)
        lines.append(f"    metrics: {shown}")
        lines += [f"    note: {n}" for n in p.notes]
    return "\n".join(lines)
