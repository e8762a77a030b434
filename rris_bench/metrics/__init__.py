"""The metrics engine: every published RIS / R-RIS / GRES metric from one predictions file.

Functional core: ``evaluate(dataset, predictions, splits, ...) -> record``, ``format_record(record, fmt)`` and
``per_sample_frame(dataset, predictions, splits, ...) -> pandas.DataFrame`` (one row per sentence);
``rris-bench evaluate`` is a thin command around them.
"""
from .definitions import DEFINITIONS, EXPLANATIONS, METRIC_IDS
from .protocols import PROTOCOLS, Protocol, get_protocol
from .engine import RESULT_SCHEMA, default_out, evaluate, per_sample_frame, write_record
from .samples import write_per_sample
from .report import FORMATS, explain, format_record

__all__ = ["DEFINITIONS", "EXPLANATIONS", "METRIC_IDS", "PROTOCOLS", "Protocol", "RESULT_SCHEMA", "get_protocol", "FORMATS", "default_out", "evaluate",
           "explain", "format_record", "per_sample_frame", "write_per_sample", "write_record"]
