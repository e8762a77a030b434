"""The metrics engine: every published RIS / R-RIS / GRES metric from one predictions file.

Functional core: ``evaluate(dataset, predictions, splits, ...) -> record`` and ``format_record(record,
fmt)``; ``rris-bench evaluate`` is a thin command around them.
"""
from .definitions import DEFINITIONS, EXPLANATIONS, METRIC_IDS
from .protocols import PROTOCOLS, Protocol, get_protocol
from .engine import RESULT_SCHEMA, default_out, evaluate, write_per_sample, write_record
from .report import FORMATS, explain, format_record

__all__ = ["DEFINITIONS", "EXPLANATIONS", "METRIC_IDS", "PROTOCOLS", "Protocol", "RESULT_SCHEMA", "get_protocol", "FORMATS", "default_out", "evaluate",
           "explain", "format_record", "write_per_sample", "write_record"]
