"""``rris-bench adapters``: list the adapters known by name, with a line each and where it comes from."""
from __future__ import annotations

import click

from ..run.adapters import ENTRY_POINT_GROUP, describe_all


@click.command("adapters", context_settings={"help_option_names": ["-h", "--help"]})
def command() -> None:
    """List the adapters `rris-bench run` accepts by name: the built-ins and the installed packages' entry
    points (group rris_bench.adapters). Any file.py:Class or module:Class also works without being listed.

    \b
    Examples:
      rris-bench adapters
      rris-bench run empty --data-root demo_out/data --dataset rtoy --out empty.jsonl
    """
    rows = [(entry.name, entry.origin, text, entry.target) for entry, text in describe_all()]
    widths = [max(len(r[i]) for r in rows + [("name", "origin", "", "")]) for i in range(2)]
    click.echo(f"{'name':<{widths[0]}}  {'origin':<{widths[1]}}  description")
    for name, origin, text, target in rows:
        click.echo(f"{name:<{widths[0]}}  {origin:<{widths[1]}}  {text}  [{target}]")
    click.echo(f"\nAdd one: a file with a class (run path/to/file.py:Class), or an entry point in the "
               f"{ENTRY_POINT_GROUP!r} group of your package.")
