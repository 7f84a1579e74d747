"""The criterion heat strip: one coloured cell per criterion, in playbook order.

A manager reads a whole pipeline's qualification at a glance, in the colours
of :mod:`kamcoach.palette` (the same in the CLI and the HTML report): wine for
a stated gap, orange for nothing, sand for mentioned, blues for specific and
validated.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from kamcoach.palette import rich_style
from kamcoach.playbooks.model import Playbook, PlaybookSet
from kamcoach.review.prep import status_label

#: Style per score and for a stated gap, from the shared palette.
SCORE_STYLE = {score: rich_style(score) for score in (None, 0, 1, 2, 3)}
GAP_STYLE = rich_style(0, "gap")


def heat_strip(
    playbooks: PlaybookSet,
    playbook: Playbook,
    scores: Mapping[str, int | None],
    statuses: Mapping[str, str | None] | None = None,
) -> Text:
    """The strip as a Rich ``Text`` (one letter per criterion, e.g. M E D D I C)."""
    strip = Text()
    for cid in playbook.criteria_ids:
        criterion = playbooks.criteria.get(cid)
        letter = (criterion.short if criterion else cid[:1]).upper()[:1]
        score = scores.get(cid)
        status = (statuses or {}).get(cid)
        style = GAP_STYLE if status == "gap" else SCORE_STYLE.get(score, SCORE_STYLE[None])
        strip.append(letter, style=style)
    return strip


def score_text(score: int, status: str, lang: str = "en") -> Text:
    """A score cell: '2/3 specific' coloured like the strip, the word in the deal's language."""
    style = GAP_STYLE if status == "gap" else SCORE_STYLE.get(score, "")
    return Text(f" {score}/3 ", style=style) + Text(f" {status_label(status, lang)}")


def legend() -> Text:
    text = Text("legend ")
    text.append(" gap ", style=GAP_STYLE)
    for score, label in ((0, "0"), (1, "1"), (2, "2"), (3, "3")):
        text.append(f" {label} ", style=SCORE_STYLE[score])
    return text
