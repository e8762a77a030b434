"""The one exception type for bad user input.

Raised anywhere in the library with a one-line message that names the file, the record and the field;
the command line turns it into that message on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import os
from typing import Optional, Union


class InputError(Exception):
    """Bad input: a malformed file, an unknown name, an option that does not fit."""

    def __init__(self, message: str, path: Optional[Union[str, os.PathLike]] = None,
                 record: Optional[str] = None, field: Optional[str] = None):
        where = ": ".join(str(p) for p in (path, record, field) if p is not None)
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.record, self.field = path, record, field


class InternalError(RuntimeError):
    """A bug caught by a consistency check (an impossible number): exit code 1 with one line, never a score."""
