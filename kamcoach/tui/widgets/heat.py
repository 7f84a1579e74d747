"""The criterion heat strip: one coloured cell per criterion, in playbook order.

A manager reads a whole pipeline's qualification at a glance: red for a
stated gap, orange for nothing, yellow for mentioned, green for specific or
validated.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text

from kamcoach.playbooks.model import Playbook, PlaybookSet
from kamcoach.review.prep import status_label

#: Background colour per score; a stated gap gets its own red.
SCORE_STYLE = {
    None: "on grey30",
    0: "black on dark_orange",
    1: "black on yellow",
    2: "black on green3",
    3: "black on green4",
}
GAP_STYLE = "white on red3"


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
