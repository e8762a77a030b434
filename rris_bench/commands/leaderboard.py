"""``rris-bench leaderboard [DIR]`` renders a board; ``rris-bench leaderboard add RESULT.json`` files a record."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

import click

DEFAULT_BOARD = "leaderboards"


class _RenderByDefault(click.Group):
    """A group whose first argument, when it is not a subcommand, is the board to render (``render`` implied)."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["render", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RenderByDefault, subcommand_metavar="[render] [BOARD] [--html] [--metrics IDS] [--out DIR] | "
                                                      "add RESULT... [--board DIR]")
def command() -> None:
    """Leaderboards: tables, plots and an HTML page from result records.

    A board is a folder of result records (one JSON per model, dataset and split, as `rris-bench evaluate`
    writes them, or `"kind": "reported"` records of published numbers). Measured and reported numbers
    are shown in separate tables.

    \b
    Examples:
      rris-bench leaderboard                          # render ./leaderboards into leaderboards/README.md
      rris-bench leaderboard demo_out/leaderboard --html --metrics rIoU,mRR,mIoU,oIoU
      rris-bench leaderboard add demo_out/results/gt-box.json --board my_board
    """


@command.command("render")
@click.argument("board", default=DEFAULT_BOARD, type=click.Path(file_okay=False, path_type=Path))
@click.option("--metrics", metavar="IDS", help="Comma-separated metric ids to show as columns, in order "
              "(default: rIoU,mRR,mIoU,oIoU,gIoU,N-acc,T-acc,AUROC).")
@click.option("--html", "html", is_flag=True, help="Also write index.html: one self-contained page with "
              "sortable tables and the plots embedded.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write README.md, plots/ and index.html into (default: the board folder).")
def render(board: Path, metrics: Optional[str], html: bool, out: Optional[Path]) -> None:
    """Render the records of BOARD (default: ./leaderboards) as markdown tables, plots and optionally HTML.

    Prints the tables; writes <OUT>/README.md, <OUT>/plots/*.png|svg and, with --html, <OUT>/index.html.

    \b
    Examples:
      rris-bench leaderboard leaderboards
      rris-bench leaderboard render demo_out/leaderboard --html --out site/
    """
    from ..report.leaderboard import markdown_tables, write_board

    ids = None if metrics is None else metrics.split(",")
    written = write_board(board, out or board, metrics=ids, html=html)
    click.echo(markdown_tables(board, ids), nl=False)
    for path in [written["readme"], written.get("html"), *written["plots"]]:
        if path is not None:
            click.echo(f"wrote {path}", err=True)


@command.command("add")
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--board", default=DEFAULT_BOARD, show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="The board folder to file the record on.")
def add(results: Tuple[Path, ...], board: Path) -> None:
    """File result records (RESULT...) on a board as <kind>--<model>--<dataset>--<split_by>--<split>.json.

    A record scored with --resolution N is filed (and shown) as its own row, MODEL @NxN.
    Refused (exit 2) when its dataset_sha256 differs from the dataset version already on the board for that
    dataset and split. A record for the same result replaces the old one.

    \b
    Examples:
      rris-bench leaderboard add demo_out/results/gt-box.json --board my_board
      rris-bench leaderboard add demo_out/results/*.json --board my_board
    """
    from ..report.records import add_record, load_record, record_filename

    for result in results:
        replaces = (board / record_filename(load_record(result))).is_file()
        click.echo(f"{'replaced' if replaces else 'filed'} {add_record(result, board)}")
    click.echo(f"render with: rris-bench leaderboard {board}")
