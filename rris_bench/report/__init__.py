"""Reporting: leaderboards (``write_board``, ``markdown_tables``, ``add_record``), plots, visualisations.

``records_frame(board)`` gives a board's records as a pandas DataFrame (the tables are built from it).
"""
from .frames import records_frame
from .leaderboard import markdown_tables, write_board
from .records import add_record, load_records

__all__ = ["add_record", "load_records", "markdown_tables", "records_frame", "write_board"]
