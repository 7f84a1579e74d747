"""Render rows as a rich table or as JSON, JSON Lines, CSV or Markdown.

All list-like commands share these formats so scripts can rely on them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from kamcoach.io.csv_cells import neutralise
from kamcoach.textsafe import md, plain

FORMATS = ("table", "json", "jsonl", "csv", "md")
"""Every listing offers these (``--format``), through :func:`format_option`."""
REPORT_FORMATS = (*FORMATS, "html")
"""Reports (pipeline, coach, prep) add a self-contained HTML page to e-mail."""

PROSE_COLUMNS = frozenset(
    {"reason", "reasons", "evidence", "in force", "value", "criteria", "source", "text"}
    | {"first_line", "description", "summary", "message", "quote", "note"}
)
"""Columns of running text: in a table they wrap over lines rather than being cut."""


def format_help(choices: Sequence[str]) -> str:
    """The one help text of ``--format``: it names exactly the formats offered."""
    text = f"Output format: {'|'.join(choices)}. table for people"
    rest = [c for c in choices if c in ("json", "jsonl", "csv", "md")]
    if rest:
        text += f"; {'/'.join(rest)} for scripts and sharing"
    if "html" in choices:
        text += "; html a self-contained page to e-mail"
    return text + "."


def format_option(
    choices: Sequence[str] = FORMATS, default: str = "table"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help=format_help(choices),
    )


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # before the number case: a bool is an int
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render_rows(
    rows: list[dict[str, Any]],
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    out: Callable[[str], None] | None = None,
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
    floors: dict[str, int] | None = None,
    wrap: Sequence[str] = (),
) -> None:
    """Print rows in the chosen format; ``columns`` picks and orders the keys.

    The table fits the terminal (:mod:`kamcoach.cli.table_fit`): text cut with
    an ellipsis, never ``keep`` columns nor numbers; when that is not enough
    the ``drop`` columns go, first to last (the other formats keep them all);
    ``floors`` says how narrow a column may be cut (a name stays readable);
    ``wrap`` columns (free text: reasons, notes) wrap over lines instead.
    """
    cols = list(columns) if columns else (list(rows[0]) if rows else [])
    write = out or (lambda text: click.echo(text, nl=False))
    if fmt == "json":
        write(
            json.dumps([{c: r.get(c) for c in cols} for r in rows], ensure_ascii=False, indent=2)
            + "\n"
        )
    elif fmt == "jsonl":
        write(
            "".join(
                json.dumps({c: r.get(c) for c in cols}, ensure_ascii=False) + "\n" for r in rows
            )
        )
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: _csv_value(r.get(c)) for c in cols})
        write(buffer.getvalue())
    elif fmt == "md":
        write(markdown_table(rows, cols, title=title))
    else:
        print_table(rows, cols, title=title, keep=keep, drop=drop, floors=floors, wrap=wrap)


def print_table(
    rows: list[dict[str, Any]],
    cols: Sequence[str],
    *,
    title: str | None = None,
    keep: Sequence[str] = (),
    drop: Sequence[str] = (),
    floors: dict[str, int] | None = None,
    wrap: Sequence[str] = (),
) -> None:
    """The rich table of :func:`render_rows`, one line per row at the console's width."""
    from kamcoach.cli.table_fit import MIN_TEXT, column_fit, fit_widths, header_lines

    out = console()
    texts = {c: [_cell(r.get(c)) for r in rows] for c in cols}
    # A column empty on every row says nothing and costs width: left out of the table.
    cols = [c for c in cols if c in keep or not rows or any(texts[c])]
    numeric = {
        c: bool(rows)
        and all(
            isinstance(r.get(c), int | float) and not isinstance(r.get(c), bool)
            for r in rows
            if r.get(c) is not None
        )
        for c in cols
    }
    fits = [
        column_fit(
            c,
            c.replace("_", " "),
            texts[c],
            cut=not (numeric[c] or c in keep),
            floor=(floors or {}).get(c, 20 if c in PROSE_COLUMNS | set(wrap) else MIN_TEXT),
        )
        for c in cols
    ]
    # Default box: an edge each side, then per column a padding each side and one rule.
    widths = fit_widths(fits, out.width, overhead=1, per_column=3, drop=drop)
    prose = PROSE_COLUMNS | set(wrap)
    shown = [c for c in cols if c in widths]
    # Cells, headers and title as Text: names and ids are shown, never read as markup.
    table = Table(title=plain(title) if title else None, show_lines=False, header_style="bold")
    for c in shown:
        table.add_column(
            plain(header_lines(c.replace("_", " "), widths[c])),
            justify="right" if numeric[c] else "left",
            width=widths[c],
            no_wrap=c not in prose,
            overflow="fold" if c in prose else "ellipsis",
        )
    for i in range(len(rows)):
        table.add_row(*[plain(texts[c][i]) for c in shown])
    out.print(table)


def print_left_out(left_out: Sequence[Any], fmt: str) -> None:
    """Under a table of money totals: the deals they leave out (no rate for their currency).

    Only the table gets the line; the other formats carry a ``left_out`` field,
    and a line after JSON or CSV would break the file.
    """
    from kamcoach.records.currency import left_out_line

    line = left_out_line(left_out)
    if line and fmt == "table":
        console().print(plain(line, style="bold yellow"))


def _csv_value(value: Any) -> Any:
    """A CSV cell: lists and dicts as JSON, formula-like text neutralised, numbers as they are."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return neutralise(value)


def markdown_table(
    rows: list[dict[str, Any]], cols: Sequence[str], *, title: str | None = None
) -> str:
    """A Markdown table; every value as literal text (no HTML, links or emphasis)."""
    lines = []
    if title:
        lines += [f"## {md(title)}", ""]
    lines.append("| " + " | ".join(_md_cell(c.replace("_", " ")) for c in cols) + " |")
    lines.append("|" + "|".join("---" for _ in cols) + "|")
    for r in rows:
        lines.append("| " + " | ".join(_md_cell(_cell(r.get(c))) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _md_cell(text: str) -> str:
    return md(text).replace("|", "\\|")
