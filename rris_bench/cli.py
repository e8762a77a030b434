"""The ``rris-bench`` command line: a click group whose commands live one per module in ``commands/``.

Exit codes: 0 success, 2 bad input or usage (one line on stderr, no traceback), 1 unexpected failure.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import List, Optional

import click

from . import __version__
from .cache import cache_dir
from .errors import InputError, InternalError
from .files import WRITE_ERRNOS

# command name -> module in rris_bench.commands defining a click command called ``command``.
COMMANDS = {
    "demo": "demo",
    "build-dataset": "build_dataset",
    "stats": "stats",
    "convert": "convert",
    "evaluate": "evaluate",
    "run": "run",
    "merge": "merge",
    "train": "train",
    "adapters": "adapters",
    "visualize": "visualize",
    "leaderboard": "leaderboard",
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs, so ``--help`` and ``evaluate`` stay light."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return [name for name in COMMANDS if self._module(name) is not None]

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        module = self._module(name)
        return None if module is None else module.command

    @staticmethod
    def _module(name: str):
        if name not in COMMANDS:
            return None
        try:
            return importlib.import_module(f"rris_bench.commands.{COMMANDS[name]}")
        except ModuleNotFoundError as exc:
            if exc.name == f"rris_bench.commands.{COMMANDS[name]}":
                return None
            raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rris-bench")
def cli() -> None:
    """Build robust referring-segmentation datasets, run models on them, and score them.

    \b
    Examples:
      rris-bench demo --out demo_out
      rris-bench build-dataset --data-root data --dataset refcoco
      rris-bench evaluate demo_out/predictions/gt-box.jsonl --data-root demo_out/data
    """


def main(argv: Optional[List[str]] = None) -> None:
    """Entry point: runs the group and maps errors to exit codes (2 for bad input, 1 otherwise)."""
    try:
        cli.main(args=argv, prog_name="rris-bench", standalone_mode=False)
    except InputError as exc:
        click.echo(f"rris-bench: error: {exc}", err=True)
        sys.exit(2)
    except InternalError as exc:
        click.echo(f"rris-bench: internal error (please report it): {exc}", err=True)
        sys.exit(1)
    except OSError as exc:  # a full disk or a read-only folder met outside files.atomic_path (a plot folder...)
        if exc.errno not in WRITE_ERRNOS:
            raise
        internal = exc.filename is None or cache_dir() in Path(exc.filename).resolve().parents
        click.echo(f"rris-bench: error: {exc.filename or 'an internal file'}: cannot write here ({exc.strerror})"
                   + (" (an internal folder of rris-bench)" if internal else ""), err=True)
        sys.exit(1 if internal else 2)
    except click.exceptions.Abort:
        click.echo("rris-bench: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:  # a bad option value: one line, as for any bad input
        click.echo(f"rris-bench: error: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(0)


if __name__ == "__main__":
    main()
