"""The one palette for qualification scores: TUI, CLI and HTML report draw from here.

Each interface used to pick its own colours (2 was green in the TUI, yellow in
the CLI and the report), so the same deal looked better or worse depending on
where it was read. The colours are Paul Tol's colour-blind safe set, from
orange (nothing) through sand (mentioned) to light and dark blue (specific,
validated), with wine for a stated gap and grey for "not analysed": every pair
stays apart for protanopia, deuteranopia and tritanopia, and the text colour
on each is the one with the higher contrast (tests/test_palette.py checks both).
"""

from __future__ import annotations

#: Background per 0-3 score.
SCORE_COLOURS: dict[int, str] = {0: "#EE7733", 1: "#EECC66", 2: "#6699CC", 3: "#004488"}
#: A stated gap ("we have not met the CFO") is worse than nothing: its own colour.
GAP_COLOUR = "#882255"
#: Not analysed yet.
NONE_COLOUR = "#BBBBBB"
BLACK, WHITE = "#000000", "#FFFFFF"


def background(score: int | None, status: str | None = None) -> str:
    """The colour of a score cell (a stated gap wins over its 0)."""
    if status == "gap":
        return GAP_COLOUR
    if score is None:
        return NONE_COLOUR
    return SCORE_COLOURS.get(score, NONE_COLOUR)


def foreground(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (WCAG contrast)."""
    return BLACK if contrast(colour, BLACK) >= contrast(colour, WHITE) else WHITE


def rich_style(score: int | None, status: str | None = None) -> str:
    """A Rich style string for a score cell, e.g. ``"#000000 on #6699CC"``."""
    bg = background(score, status)
    return f"{foreground(bg)} on {bg}"


def band_score(overall: float) -> int:
    """The 0-3 colour step of an overall 0-100 score (quarters), so bands match cells."""
    return min(3, max(0, int(overall // 25)))


def luminance(colour: str) -> float:
    """Relative luminance of ``#RRGGBB`` (WCAG 2)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
