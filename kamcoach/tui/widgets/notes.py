"""Rendering of a call note with its evidence highlighted."""

from __future__ import annotations

from typing import Any

from rich.text import Text

SUPPORT_STYLE = "bold black on green3"
NEGATED_STYLE = "bold white on red3"


def note_text(note: dict[str, Any], spans: list[tuple[int, int, bool, str]]) -> Text:
    """A note's header line and text, evidence spans highlighted (gaps in red)."""
    head = Text(f"{str(note['created_at'])[:10]}", style="bold")
    if note.get("author"):
        head.append(f"  {note['author']}", style="dim")
    if note.get("lang"):
        head.append(f"  [{note['lang']}]", style="dim")
    if note.get("title"):  # an activity's subject: shown, never analysed
        head.append("\n").append(str(note["title"]), style="bold italic")
    body = Text(str(note["text"]))
    for start, end, negated, _cid in spans:
        body.stylize(NEGATED_STYLE if negated else SUPPORT_STYLE, start, end)
    return head + Text("\n") + body
