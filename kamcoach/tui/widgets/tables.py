"""What every list in the TUI does the same way: cut cells with "…", search with ``/``,
sort by a click on a column header (again: reverse) or a key.

Users of harlequin, posting or k9s expect these on any table; one module keeps
the screens (pipeline, reps, contacts) alike and small.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Input

from kamcoach.textmatch import matcher, sort_key

T = TypeVar("T")


def fit(text: Text) -> Text:
    """``text`` on one line, cut with "…" at the column width instead of wrapping.

    A DataTable row is one line high: a wrapping Text shows its first line,
    cut at a word with nothing to say so ("Store ops ana").
    """
    text.no_wrap = True
    text.overflow = "ellipsis"
    text.end = ""
    return text


@dataclass(slots=True)
class SortState:
    """Which column a table is sorted by, and whether the order is reversed.

    ``column`` None is the screen's natural order (the pipeline's exceptions first).
    """

    column: str | None = None
    reverse: bool = False

    def click(self, column: str) -> None:
        """A header click: sort by that column; a second click on it reverses."""
        if column == self.column:
            self.reverse = not self.reverse
        else:
            self.column, self.reverse = column, False

    def cycle(self, columns: Sequence[str | None]) -> None:
        """The sort key: the next column of ``columns`` (from the start when off the list)."""
        try:
            index = list(columns).index(self.column) + 1
        except ValueError:
            index = 0
        self.column, self.reverse = columns[index % len(columns)], False

    def describe(self, label: str) -> str:
        return f"{label}, reversed" if self.reverse else label


def arrange(
    rows: Iterable[T],
    query: str,
    fields: Callable[[T], Iterable[object]],
    sort: SortState,
    value: Callable[[T, str], object],
) -> list[T]:
    """The rows a table shows: those matching ``query``, in ``sort``'s order.

    ``fields`` gives what the search looks in, ``value`` a row's value in a
    column (numbers and dates as such, see :func:`kamcoach.textmatch.sort_key`).
    Empty cells stay last either way; ties keep the rows' own order.
    """
    matches = matcher(query)
    kept = [r for r in rows if matches(fields(r))]
    column = sort.column
    if column is None:
        return kept
    keyed = [(sort_key(value(r, column)), r) for r in kept]
    filled = [(k, r) for k, r in keyed if k[0] != 2]
    filled.sort(key=lambda kr: kr[0], reverse=sort.reverse)
    return [r for _, r in filled] + [r for k, r in keyed if k[0] == 2]


class SearchInput(Input):
    """The ``/`` line above a table: filters as the user types.

    Hidden until ``/`` opens it (:meth:`open`). Escape clears it, hides it and
    gives the table back the focus; down (or tab) goes to the table keeping the
    filter. The screen listens to ``Input.Changed`` and filters its rows.
    """

    DEFAULT_CSS = """
    SearchInput {
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    SearchInput:focus {
        border: none;
    }
    SearchInput.-open {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Clear search", show=False, id="search.clear"),
        Binding("down", "to_table", "To the table", show=False, id="search.to_table"),
    ]

    def __init__(self, table: str, *, id: str | None = None) -> None:
        super().__init__(placeholder="search: name, account, owner (esc clears)", id=id)
        self.table = table
        """Selector of the table this line filters."""
        self.can_focus = False  # closed: focus never lands here while the table loads

    def open(self) -> None:
        self.can_focus = True
        self.add_class("-open")
        self.focus()

    def action_close(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.can_focus = False
        self.screen.query_one(self.table).focus()

    def action_to_table(self) -> None:
        self.screen.query_one(self.table).focus()
