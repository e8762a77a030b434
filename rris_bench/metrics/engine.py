"""``evaluate``: predictions + dataset -> the result record (schema ``rris-result/1``).

The functional core of ``rris-bench evaluate``: validate the whole file, compute per-sentence statistics,
aggregate every metric id, and add breakdowns, intervals and the ROC curve on request.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Union

import numpy as np

from .. import __version__, masks
from . import prediction_checks, predictions as predictions_io
from ..checks import line_problem
from ..errors import InputError, InternalError
from ..files import PathLike, write_text
from ..gcpause import paused_gc
from ..datasets.model import Dataset
from .aggregate import counts, metrics
from .bootstrap import intervals
from .breakdowns import breakdowns, parse_by
from .definitions import definition
from .no_target import NoTargetRule, apply_rule, parse_rule
from .protocols import Protocol, get_protocol, resolve_splits
from .references import reference_masks
from .sweep import threshold_sweep as sweep_thresholds
from .halves import in_halves
from .ranking import roc_curve
from .samples import check_per_sample_path, sentence_frame, write_per_sample
from .stats import BREAKDOWNS, SentenceTable, measure, row_gt_areas, sentence_table

if TYPE_CHECKING:
    import pandas as pd

RESULT_SCHEMA = "rris-result/1"


def evaluate(dataset: Dataset, predictions: Union[PathLike, predictions_io.PredictionFile],
             splits: Optional[Sequence[str]] = None, *, model: Optional[str] = None, by: Iterable[str] = (),
             ci: Optional[float] = None, resolution: Optional[int] = None, missing: str = "error", seed: int = 0,
             resamples: int = 1000, per_sample: Optional[PathLike] = None, use_cache: bool = True,
             protocol: str = "default", no_target_rule: Optional[str] = None,
             rule_source: Optional[str] = None, threshold_sweep: bool = False) -> Dict[str, Any]:
    """Score ``predictions`` (a path or a parsed file) on the selected splits of ``dataset``.

    ``by``: breakdown names (see ``stats.BREAKDOWNS``); ``ci``: confidence of bootstrap intervals over refs
    (``resamples`` draws, seeded); ``resolution``: score on side x side masks resized as the official R-RIS
    code does; ``missing="empty"`` counts missing predictions as empty, ``missing="skip"`` scores
    only the sentences that have a prediction (``counts.missing_skipped``); ``per_sample``: also write the
    per-sentence table there (.jsonl, .csv or .parquet: ``metrics.samples``). ``protocol``: a profile of
    ``metrics.protocols`` (resolution, ground truth, splits, metric set); ``no_target_rule``: empty, null or
    score:T (default: the profile's), and ``rule_source`` what chose it (for the record); ``threshold_sweep``:
    add the metrics against the existence-score threshold (``metrics.sweep``). Raises InputError on bad
    input, before computing anything.
    """
    profile = get_protocol(protocol)
    rule = parse_rule(no_target_rule or profile.no_target_rule)
    resolution = _resolution(profile, resolution)
    by = parse_by(by)
    check_options(ci=ci, resolution=resolution, resamples=resamples, seed=seed, model=model)
    if per_sample is not None:
        check_per_sample_path(per_sample)
    scored = _score(dataset, predictions, splits, profile, rule, resolution, missing, use_cache,
                    BREAKDOWNS if per_sample is not None else by, threshold_sweep)
    pred_file, split_list, table = scored.pred_file, scored.split_list, scored.table
    if per_sample is not None:
        write_per_sample(table, per_sample)
    info = pred_file.info or {}
    record: Dict[str, Any] = {
        "schema": RESULT_SCHEMA, "kind": "measured",
        "model": model or info.get("model") or pred_file.path.stem,
        "dataset": dataset.name, "split_by": dataset.split_by,
        "split": ",".join(split_list or dataset.splits),
        "dataset_sha256": dataset.sha256, "predictions_sha256": pred_file.sha256,
        "predictions_file": pred_file.path.name, "toolkit_version": __version__,
        "options": {"resolution": resolution, "missing": missing, "ci": ci, "by": by,
                    "bootstrap": resamples if ci is not None else None, "seed": seed, "protocol": profile.name,
                    "no_target_rule": str(rule)},
        "protocol": {**profile.rules(), "side": resolution, "no_target_rule": str(rule),
                     "no_target_rule_source": rule_source or ("--no-target-rule" if no_target_rule else
                                                              "the profile's default"),
                     "splits_selected": list(split_list or dataset.splits)},
        "counts": {**counts(table, scored.missing_filled - scored.skipped), "missing_skipped": scored.skipped,
                   **scored.left_out},
        "metrics": metrics(table, profile),
        "decision_rules": {m: "score ranking (no threshold)" if m in ("AUROC", "AP") else str(rule)
                           for m in profile.metrics},
        "definitions": {m: definition(m) for m in profile.metrics},
        "breakdowns": breakdowns(table, by, profile),
        "intervals": intervals(table, ci, resamples, seed, profile) if ci is not None else {},
        "curves": {},
    }
    if scored.sweep is not None:
        record["threshold_sweep"] = scored.sweep
    if table.score is not None and table.exists.any() and (~table.exists).any():
        record["curves"]["roc"] = roc_curve(table.exists, table.score)
    return record


class _Scored(NamedTuple):
    """What ``evaluate`` and ``per_sample_frame`` share: the checked file and the per-sentence table (after
    the no-target rule), with what the record counts about them."""

    pred_file: predictions_io.PredictionFile
    split_list: List[str]
    table: SentenceTable
    missing_filled: int
    skipped: int
    sweep: Optional[Dict[str, Any]]
    left_out: Dict[str, int]


def _score(dataset: Dataset, predictions: Union[PathLike, predictions_io.PredictionFile],
           splits: Optional[Sequence[str]], profile: Protocol, rule: NoTargetRule, resolution: Optional[int],
           missing: str, use_cache: bool, labels: Sequence[str], threshold_sweep: bool) -> _Scored:
    """Read and check ``predictions``, measure every selected sentence and apply ``rule``: the table every
    metric and the per-sample file come from (``labels``: the breakdowns its rows carry)."""
    prediction_checks.check_missing_option(missing)
    split_list = resolve_splits(list(splits) if splits else None, dataset.splits, profile.splits)
    selection = prediction_checks.Selection(dataset, split_list)  # unknown split names fail here, before reading
    with paused_gc():
        pred_file = predictions if isinstance(predictions, predictions_io.PredictionFile) \
            else predictions_io.read_predictions(predictions)
        gt_rles, gt_areas = reference_masks(dataset, selection.refs, profile, use_cache=use_cache)
        valid = prediction_checks.finish(_checked(pred_file, selection, gt_rles, gt_areas, resolution), selection,
                                      pred_file.path, missing=missing, line_of=pred_file.line_of)
        table = sentence_table(selection, valid, row_gt_areas(selection, valid, gt_rles, gt_areas, resolution),
                               labels=labels)
        check_table(table)  # the measured statistics, before any rule or profile uses them
        null = valid.columns["null"] | ~valid.covered
        skipped = valid.missing_filled if missing == "skip" else 0
        if skipped:  # score only the sentences that have a prediction
            keep = np.flatnonzero(valid.covered)
            table, null = table.subset(keep), null[keep]
        if profile.positives_only:  # LAVT's code knows no negatives (see the profile's notes)
            keep = np.flatnonzero(table.exists)
            table, null = table.subset(keep), null[keep]
        sweep = sweep_thresholds(table, null, profile) if threshold_sweep else None
        table = apply_rule(table, rule, null, profile)
    return _Scored(pred_file, split_list, table, valid.missing_filled, skipped, sweep,
                   left_out(dataset, selection, gt_areas))


def per_sample_frame(dataset: Dataset, predictions: Union[PathLike, predictions_io.PredictionFile],
                     splits: Optional[Sequence[str]] = None, *, resolution: Optional[int] = None,
                     missing: str = "error", protocol: str = "default", no_target_rule: Optional[str] = None,
                     use_cache: bool = True) -> "pd.DataFrame":
    """The per-sentence table of ``predictions`` on ``dataset`` as a pandas DataFrame, for error analysis:
    one row per scored sentence (dataset order) with sent_id, ref_id, exists, I, U, pred_area, gt_area, iou,
    no_target, score (if scored) and every breakdown label (``metrics.samples``). The options mean what they
    mean for ``evaluate``, so the rows are those ``evaluate(..., per_sample="x.jsonl")`` writes. Raises
    InputError on bad input."""
    profile = get_protocol(protocol)
    rule = parse_rule(no_target_rule or profile.no_target_rule)
    resolution = _resolution(profile, resolution)
    check_options(resolution=resolution)
    scored = _score(dataset, predictions, splits, profile, rule, resolution, missing, use_cache, BREAKDOWNS, False)
    return sentence_frame(scored.table)


def _resolution(profile: Protocol, resolution: Optional[int]) -> Optional[int]:
    """The side masks are scored at: ``--resolution`` under ``default``, else the profile's own (None for the
    original size); a different ``--resolution`` is refused, as it would change the profile's numbers."""
    if profile.name == "default":
        return resolution
    if resolution is not None and resolution != profile.side:
        where = f"{profile.side} x {profile.side}" if profile.side else "the original size"
        raise InputError(f"the {profile.name} protocol scores at {where}; use --protocol default to choose "
                         "another resolution", field="--resolution")
    return profile.side


MAX_RESOLUTION = 4096     # --resolution: side x side int64 prefix sums of 128 MiB
MAX_RESAMPLES = 100_000   # --bootstrap
MAX_SEED = 2 ** 32 - 1    # numpy's seed range


def check_options(*, ci: Optional[float] = None, resolution: Optional[int] = None, resamples: int = 1000,
                  seed: int = 0, model: Optional[str] = None) -> None:
    """The options of ``evaluate``, checked before any file is read (InputError naming the option)."""
    if ci is not None and not 0.0 < ci < 1.0:
        raise InputError(f"the confidence must be between 0 and 1, not {ci}", field="--ci")
    if resolution is not None and not 1 <= resolution <= MAX_RESOLUTION:
        raise InputError(f"the resolution must be from 1 to {MAX_RESOLUTION} pixels, not {resolution}",
                         field="--resolution")
    if not 1 <= resamples <= MAX_RESAMPLES:
        raise InputError(f"the number of resamples must be from 1 to {MAX_RESAMPLES}, not {resamples}",
                         field="--bootstrap")
    if not 0 <= seed <= MAX_SEED:
        raise InputError(f"the seed must be from 0 to {MAX_SEED}, not {seed}", field="--seed")
    if model is not None and line_problem(model):
        raise InputError(line_problem(model), field="--model")


def _checked(pred_file: predictions_io.PredictionFile, selection: prediction_checks.Selection,
             gt_rles: List[masks.RLE], gt_areas: np.ndarray, resolution: Optional[int]
             ) -> prediction_checks.CheckedRecords:
    """Parse, check and measure the records, each half of the file in its own process (``halves``)."""
    def job(start: int, stop: int) -> prediction_checks.CheckedRecords:
        checked = prediction_checks.check_records(pred_file.chunk(start, stop), selection)
        measure(checked, selection, gt_rles, gt_areas, resolution)
        return checked

    return in_halves(job, pred_file.size, lambda a, b: prediction_checks.merge_checked(a, b, selection),
                     split_at=pred_file.middle(), work=len(selection))


def left_out(dataset: Dataset, selection: prediction_checks.Selection, gt_areas: np.ndarray) -> Dict[str, int]:
    """What the record should say was degenerate: positive sentences whose ground truth is empty (scored, with
    IoU 0 unless the prediction is empty too) and polygon parts of fewer than 3 points the dataset's checks
    skipped (``rris_bench.checks``)."""
    empty_positive = selection.exists & (gt_areas[selection.ref_of_row] == 0)
    return {"positives_with_empty_ground_truth": int(empty_positive.sum()),
            "degenerate_polygon_parts": int(dataset.left_out.get("degenerate_polygon_parts", 0))}


def left_out_line(counts: Dict[str, Any]) -> Optional[str]:
    """The one line that says what was degenerate, or None when nothing was."""
    parts = [f"{counts[key]} {key.replace('_', ' ')}" for key in ("positives_with_empty_ground_truth",
                                                                   "degenerate_polygon_parts") if counts.get(key)]
    return "rris-bench: note: " + "; ".join(parts) if parts else None


def check_table(table: SentenceTable) -> None:
    """The backstop before any number is printed: for every sentence 0 <= I <= min(A, G) and U = A + G - I
    (vectorised). A violation is a bug upstream (or ground truth that escaped the checks): InternalError
    naming the first such sentence, never a score."""
    bad = (table.I < 0) | (table.I > np.minimum(table.A, table.G)) | (table.U != table.A + table.G - table.I)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InternalError(f"impossible statistics for sent_id {int(table.sent_id[i])} (ref_id "
                            f"{int(table.ref_ids[table.ref[i]])}): I={int(table.I[i])}, U={int(table.U[i])}, "
                            f"A={int(table.A[i])}, G={int(table.G[i])} ({int(bad.sum())} sentences in all); "
                            "nothing was scored")


def write_record(record: Dict[str, Any], path: PathLike) -> None:
    """The result record as indented, key-ordered JSON (deterministic bytes)."""
    write_text(path, json.dumps(record, indent=1, allow_nan=False) + "\n")


def default_out(predictions: PathLike) -> Path:
    """``preds.jsonl`` -> ``preds.result.json`` beside it."""
    path = Path(predictions)
    return path.with_name(path.stem + ".result.json")


