"""Fit a table to the terminal: cut long text with an ellipsis, drop the least useful columns.

Left to itself, rich shares out a narrow terminal by wrapping every column a
few letters wide, or crops the columns that do not fit at the right edge:
``kamcoach pipeline`` at 80 columns lost its score and flags that way, and
``deals list`` at 100 wrapped each name over four lines. Here every column
gets an explicit width instead: numbers and the columns a command says to
keep are never cut, text is cut with an ellipsis down to a readable minimum,
and when even that does not fit, whole columns go, least useful first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len

MIN_TEXT = 11
"""Narrowest a text column is cut to (``Northmoor …``) before whole columns are dropped."""


LAST_RESORT = 4
"""When dropping columns is not enough, text is cut down to this (``Ar…``) rather than
letting rich squeeze a number column to nothing."""

NEARLY = 4
"""A column this few cells short of its natural width gets them before the others share."""


@dataclass(frozen=True)
class ColumnFit:
    """One column as the layout sees it."""

    name: str
    natural: int
    """Width of its widest cell (or header): what it takes uncut."""
    minimum: int
    """Narrowest it may be cut to; ``natural`` for numbers and kept columns."""
    cut: bool = False
    """Whether its text may be cut at all (numbers and kept columns may not)."""


def column_fit(
    name: str, header: str, cells: Sequence[str], *, cut: bool, floor: int = MIN_TEXT
) -> ColumnFit:
    """Measure a column; ``cut`` says whether its text may be shortened, down to ``floor``.

    A header counts by its longest word: a long one goes over two lines
    (:func:`header_lines`) rather than widening a column of short values.
    """
    head = max((cell_len(word) for word in header.split()), default=0)
    natural = max([head, *(cell_len(c) for c in cells)], default=1)
    minimum = min(natural, floor) if cut else natural
    return ColumnFit(name, natural, max(minimum, 1), cut)


def header_lines(header: str, width: int) -> str:
    """The header, one word a line when it does not fit ``width`` on one."""
    return header if cell_len(header) <= width else "\n".join(header.split())


def fit_widths(
    columns: Sequence[ColumnFit],
    width: int,
    *,
    overhead: int,
    per_column: int,
    drop: Sequence[str] = (),
) -> dict[str, int]:
    """Width per column kept, in order; dropped columns are absent.

    ``overhead`` is what the table spends outside its columns (edges),
    ``per_column`` what each column adds (padding, separator). Columns in
    ``drop`` go first to last until the minimums fit; the room left is then
    shared out to the cut columns in proportion to what each lacks.
    """
    kept = list(columns)
    droppable = [name for name in drop if any(c.name == name for c in kept)]

    def room(cols: list[ColumnFit]) -> int:
        return width - overhead - per_column * len(cols)

    while sum(c.minimum for c in kept) > room(kept) and droppable:
        gone = droppable.pop(0)
        kept = [c for c in kept if c.name != gone]
    widths = {c.name: c.minimum for c in kept}
    over = sum(widths.values()) - room(kept)
    while over > 0:  # nothing left to drop: cut the text columns further, widest first
        widest = max((c for c in kept if c.cut), key=lambda c: widths[c.name], default=None)
        if widest is None or widths[widest.name] <= LAST_RESORT:
            break
        widths[widest.name] -= 1
        over -= 1
    spare = max(room(kept) - sum(widths.values()), 0)
    lacking = {c.name: c.natural - c.minimum for c in kept if c.natural > c.minimum}
    # A column a few cells short of whole ("Sarah Coll…") is made whole first.
    for name, need in sorted(lacking.items(), key=lambda item: item[1]):
        if need > NEARLY or need > spare:
            break
        widths[name] += need
        spare -= need
        del lacking[name]
    total = sum(lacking.values())
    if total <= spare:
        for name, need in lacking.items():
            widths[name] += need
        return widths
    given = 0
    for name, need in lacking.items():
        share = need * spare // total
        widths[name] += share
        given += share
    for name in sorted(lacking, key=lambda n: -lacking[n])[: spare - given]:
        widths[name] += 1  # the rounding remainder, to the widest first
    return widths
