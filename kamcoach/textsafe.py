"""User text shown as text: never read as Rich or Textual markup, Markdown or HTML.

Deal, account, owner and contact names, note authors and texts, JSONL ids and
team playbook texts come from CRM exports and people. Rich and Textual both
read ``[...]`` in a ``str`` as markup (Textual also in DataTable cells, Select
options, toasts and command-palette help), so ``[/red]`` crashes a command,
``Renewal [phase 2]`` silently loses its bracket and ``[link=...]`` injects a
terminal hyperlink. Escaping a string and then gluing it to our own markup is
fragile: neither Rich's nor Textual's ``escape`` survives every input (a
trailing backslash escapes the tag that follows; Textual's leaves ``[ x ]`` and
``[$x]`` to be eaten). So the interfaces pass user text as
:class:`rich.text.Text` (styled by us, parsed by no one) and keep markup
strings for our own literal labels only.

Markdown outputs get the same care (:func:`md`): a name is inserted as text,
not as HTML tags, links or emphasis. The HTML reports use ``html.escape``.

This module is interface-neutral (Rich only, no Textual) so the CLI, the
reports and the TUI share it.
"""

from __future__ import annotations

import re

from rich.text import Text

__all__ = ["cell", "md", "plain", "textual_markup"]


def _str(value: object) -> str:
    return "" if value is None else str(value)


def plain(value: object, style: str = "") -> Text:
    """``value`` as a Rich ``Text`` shown verbatim (``None`` as empty), in ``style``."""
    return Text(_str(value), style=style)


def cell(value: object, style: str = "") -> Text:
    """A Textual DataTable cell (one-line rows) shown verbatim.

    Textual's DataTable renders a ``str`` cell with ``Text.from_markup(cell,
    end="")`` and ``no_wrap`` on one-line rows; this gives the same layout
    without reading markup, and a cell wider than its column ends with "…"
    so a cut name never passes for the whole one.
    """
    return Text(_str(value), style=style, end="", no_wrap=True, overflow="ellipsis")


def textual_markup(value: object) -> str:
    """``value`` escaped for Textual content markup, for the APIs that only take markup.

    Only for a string rendered on its own (the command palette's help line):
    Textual reads ``\\[`` as a literal ``[`` and any other backslash as itself,
    so a backslash before every ``[`` is exact. ``textual.markup.escape`` is
    not: it leaves ``[ x ]`` and ``[$x]`` to be read as tags.
    """
    return _str(value).replace("[", "\\[")


_MD_SPECIAL = re.compile(r"[\\`*\[\]~]|_")
_MD_ENTITY_AMP = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
#: What opens a block when a name starts a line (quote, heading, list, rule) or ends a heading.
_MD_BLOCK_START = re.compile(
    r"^(\s*)(?:(>)|(#{1,6}|[-+])(?=\s|$)|(\d{1,9})([.)])(?=\s|$)|([=-])(?=[=\s-]*$))"
)
_MD_HEADING_END = re.compile(r"(?<=\s)(#+\s*)$")


def _md_escape(match: re.Match[str]) -> str:
    char = match.group()
    if char == "_":
        # An underscore inside a word ("closed_won") is never emphasis: left as typed.
        text, at = match.string, match.start()
        inside = 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()
        return char if inside else "\\_"
    return "\\" + char


def _md_block_escape(match: re.Match[str]) -> str:
    space, quote, marker, number, dot, rule = match.groups()
    if number:
        return f"{space}{number}\\{dot}"
    return f"{space}\\{quote or marker or rule}"


def md(value: object) -> str:
    """``value`` as literal inline Markdown text, still readable as plain text.

    ``<`` becomes ``&lt;`` (every Markdown flavour decodes it, while not all
    honour ``\\<``), so no name opens an HTML tag or an autolink; ``&`` becomes
    ``&amp;`` only where it would start an entity (``AT&T`` stays). ``\\``,
    backticks, ``*``, ``[``, ``]``, ``~`` and word-boundary ``_`` are
    backslash-escaped, so no name becomes emphasis, code, a link or an image.
    Line breaks become spaces: a name stays on its line (a heading, a list
    item), and what would open a block if the name started a line (``>``,
    ``# ``, ``- ``, ``1. ``, ``===``) or close a heading (a trailing `` #``)
    is escaped; ``17.8`` stays as it is. Table pipes are escaped by the table
    writers, once, per cell.
    """
    text = _MD_ENTITY_AMP.sub("&amp;", _str(value)).replace("<", "&lt;")
    text = _MD_SPECIAL.sub(_md_escape, text)
    text = _LINE_BREAKS.sub(" ", text)
    text = _MD_BLOCK_START.sub(_md_block_escape, text, count=1)
    return _MD_HEADING_END.sub(r"\\\1", text)
