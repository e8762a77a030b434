"""Reporting: leaderboards (``write_board``, ``markdown_tables``, ``add_record``), plots, visualisations."""
from .leaderboard import add_record, load_records, markdown_tables, write_board

__all__ = ["add_record", "load_records", "markdown_tables", "write_board"]
