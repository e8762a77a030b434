"""``rris-bench evaluate``: score a predictions file; parsing and printing only (the engine is
``rris_bench.metrics``)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

import click

from ..errors import InputError
from ..files import check_writable
from ..metrics import FORMATS, PROTOCOLS, default_out, evaluate, explain, format_record, write_record
from ..metrics.engine import check_options, left_out_line
from ..metrics.samples import check_per_sample_path
from ..gcpause import paused_gc
from ..metrics.sweep import threshold_from as threshold_from_record
from ..report.plots import save_figure, sweep_figure
from ..metrics.prediction_checks import MISSING_CHOICES
from ..metrics.predictions import read_predictions
from ..datasets import load_dataset
from .options import dataset_format as dataset_format_option


def _split_list(values: Tuple[str, ...]) -> Optional[list]:
    out = [s.strip() for v in values for s in v.split(",") if s.strip()]
    return out or None


@click.command("evaluate", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("predictions", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default="data", show_default=True,
              help="Folder holding <dataset>/refs(<split_by>).p and instances.json.")
@click.option("--dataset", help="Dataset folder name (default: the predictions' info.dataset).")
@click.option("--split-by", help="refs(<split_by>).p to use (default: info.split_by, else the usual one).")
@dataset_format_option
@click.option("--split", "splits", multiple=True,
              help="Split(s) to score, repeatable or comma separated (default: info.split, else all).")
@click.option("--model", help="Model name in the record (default: info.model, else the file name).")
@click.option("--by", multiple=True, help="Breakdowns: split, strategy, verified, category, supercategory, length "
              "(repeatable or comma separated).")
@click.option("--ci", type=float, help="Add percentile bootstrap intervals at this confidence, e.g. 0.95.")
@click.option("--bootstrap", "resamples", type=int, default=1000, show_default=True,
              help="Bootstrap resamples (refs drawn with replacement).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--resolution", type=int, help="Score on N x N masks resized as the official R-RIS code does (480).")
@click.option("--missing", type=click.Choice(MISSING_CHOICES), default="error", show_default=True,
              help="What a sentence without a prediction is: an error, an empty prediction, or skipped (score "
                   "only the predicted sentences, e.g. of a run --limit).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="What to print on stdout.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Result record path (default: <predictions stem>.result.json beside the predictions).")
@click.option("--per-sample", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the per-sentence table here (sent_id, ref_id, exists, I, U, areas, IoU, no target, "
                   "score, breakdown labels), as .jsonl, .csv or .parquet (needs pyarrow) by its extension.")
@click.option("--protocol", type=click.Choice(list(PROTOCOLS)), default="default", show_default=True,
              help="Score as an official evaluator does (resolution, ground truth, splits, metric set, no-target "
                   "rule): rris-official, gres, lavt, refzom, sesame. --explain lists the rules.")
@click.option("--no-target-rule", help="What answers 'no target': empty (an empty mask), null (segmentation "
              "null only) or score:T (existence score below T). Default: the protocol's.")
@click.option("--threshold-sweep", is_flag=True, help="Also report N-acc, T-acc, gIoU and rIoU against the "
              "existence-score threshold (table, <out stem>.sweep.png/.svg, N-acc at T-acc 95%/99%).")
@click.option("--threshold-from", type=click.Path(dir_okay=False, path_type=Path),
              help="Use the threshold a val result record made with --threshold-sweep chose (max gIoU) as "
                   "--no-target-rule score:T.")
@click.option("--explain", "explain_only", is_flag=True,
              help="Print the full metric definitions and the protocol profiles (with --protocol: that one) and exit.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache (ground-truth masks, parsed dataset).")
def command(predictions: Optional[Path], data_root: Path, dataset: Optional[str], split_by: Optional[str],
            dataset_format: str, splits: Tuple[str, ...], model: Optional[str], by: Tuple[str, ...],
            ci: Optional[float], resamples: int, seed: int, resolution: Optional[int], missing: str, fmt: str,
            out: Optional[Path], per_sample: Optional[Path], protocol: str, no_target_rule: Optional[str],
            threshold_sweep: bool, threshold_from: Optional[Path], explain_only: bool, no_cache: bool) -> None:
    """Score PREDICTIONS (JSON, list or JSON Lines) with every RIS / R-RIS / GRES metric.

    \b
    Examples:
      rris-bench evaluate preds.jsonl --data-root data --dataset rrefcoco --split val
      rris-bench evaluate demo_out/predictions/gt-box.jsonl --data-root demo_out/data --by strategy,verified \\
          --ci 0.95
      rris-bench evaluate demo_out/predictions/gt-box.jsonl --data-root demo_out/data --resolution 480 \\
          --format markdown
      rris-bench evaluate preds.jsonl --data-root data --dataset grefcoco --protocol gres
      rris-bench evaluate preds.jsonl --data-root data --protocol rris-official --no-target-rule score:0.4
      rris-bench evaluate val.jsonl --data-root data --protocol gres --threshold-sweep --out val.result.json
      rris-bench evaluate test.jsonl --data-root data --protocol gres --threshold-from val.result.json
      rris-bench evaluate demo_out/predictions/gt-box.jsonl --data-root demo_out/data --per-sample gt-box.csv
      rris-bench evaluate --explain --protocol rris-official
    """
    if explain_only:
        click.echo(explain(None if protocol == "default" else protocol))
        return
    if predictions is None:
        raise InputError("give a predictions file (or --explain)", field="PREDICTIONS")
    check_options(ci=ci, resolution=resolution, resamples=resamples, seed=seed, model=model)
    check_writable(out or default_out(predictions), "--out")
    if per_sample is not None:
        check_per_sample_path(per_sample)
        check_writable(per_sample, "--per-sample")
    rule_source = None
    if threshold_from is not None:
        if no_target_rule:
            raise InputError("give --no-target-rule or --threshold-from, not both", field="--threshold-from")
        no_target_rule, rule_source = threshold_from_record(threshold_from)
    with paused_gc():
        pred_file = read_predictions(predictions)
        info = pred_file.info or {}
        name = dataset or info.get("dataset")
        if not name:
            raise InputError("the file has no info.dataset: pass --dataset", predictions, field="--dataset")
        ds = load_dataset(data_root, name, split_by or info.get("split_by"), fmt=dataset_format,
                          use_cache=not no_cache)
    if info.get("dataset_sha256") and info["dataset_sha256"] != ds.sha256:
        click.echo(f"rris-bench: warning: {predictions.name} was made on another version of {name} "
                   f"(dataset_sha256 differs)", err=True)
    chosen = _split_list(splits) or _split_list((info.get("split") or "",))
    record = evaluate(ds, pred_file, chosen, model=model, by=by, ci=ci, resolution=resolution, missing=missing,
                      seed=seed, resamples=resamples, per_sample=per_sample, use_cache=not no_cache,
                      protocol=protocol, no_target_rule=no_target_rule, rule_source=rule_source,
                      threshold_sweep=threshold_sweep)
    target = out or default_out(predictions)
    write_record(record, target)
    click.echo(format_record(record, fmt))
    if threshold_sweep:
        stem = target.with_name(target.name[:-len(".json")] if target.name.endswith(".json") else target.name)
        png, _ = save_figure(sweep_figure(record["threshold_sweep"], f"{record['model']} on {record['dataset']} "
                                          f"{record['split']} ({record['protocol']['name']})"),
                             stem.with_name(stem.name + ".sweep"))
        click.echo(f"rris-bench: threshold sweep plot {png}", err=True)
    note = left_out_line(record["counts"])
    if note:
        click.echo(note, err=True)
    filled = record["counts"]["missing_filled"]
    if filled:
        click.echo(f"rris-bench: {filled} missing predictions were counted as empty", err=True)
    if record["counts"]["missing_skipped"]:
        click.echo(f"rris-bench: {record['counts']['missing_skipped']} sentences without a prediction were left out",
                   err=True)
    click.echo(f"rris-bench: wrote {target}" + (f" and {per_sample}" if per_sample else ""), err=True)
