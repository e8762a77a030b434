"""Evaluating: ``evaluate`` (a result record) and ``per_sample_frame`` (a table) under every RIS / GRES protocol."""
from .definitions import DEFINITIONS, EXPLANATIONS, METRIC_IDS
from .protocols import PROTOCOLS, Protocol, get_protocol
from .engine import RESULT_SCHEMA, default_out, evaluate, per_sample_frame, write_record
from .samples import write_per_sample
from .report import FORMATS, explain, format_record

__all__ = ["DEFINITIONS", "EXPLANATIONS", "METRIC_IDS", "PROTOCOLS", "Protocol", "RESULT_SCHEMA", "get_protocol", "FORMATS", "default_out", "evaluate",
           "explain", "format_record", "per_sample_frame", "write_per_sample", "write_record"]
