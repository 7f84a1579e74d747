"""The note analyser: per-criterion evidence, gaps and 0-3 scores from call notes.

Importing this package is cheap: spaCy and the models load on the first call
(see :mod:`kamcoach.analysis.nlp`). Public entry points: :func:`analyze_text`,
:func:`analyze_texts` and :func:`combine`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kamcoach.analysis.result import NoteAnalysis
    from kamcoach.domain.models import CriterionScore
    from kamcoach.playbooks.model import Playbook, PlaybookSet

__all__ = ["analyze_text", "analyze_texts", "combine"]


def analyze_text(
    text: str,
    *,
    playbooks: PlaybookSet,
    playbook: str = "meddic",
    lang: str = "auto",
    contacts: Sequence[dict[str, Any]] = (),
) -> NoteAnalysis:
    """Analyse one note (``lang``: auto, fr or en; ``contacts``: rows with id, name, title)."""
    from kamcoach.analysis import engine

    return engine.analyze_text(
        text, playbooks=playbooks, playbook=playbook, lang=lang, contacts=contacts
    )


def analyze_texts(
    items: Iterable[tuple[Any, str, str | None]],
    *,
    playbooks: PlaybookSet,
    playbook: str = "meddic",
    workers: int = 1,
    progress: Any = None,
) -> Iterator[NoteAnalysis]:
    """Analyse ``(id, text, lang or None)`` items in order with ``nlp.pipe``, streaming.

    ``progress(done, total)`` is called as blocks finish (total may be None).
    """
    from kamcoach.analysis import engine

    return engine.analyze_texts(
        items, playbooks=playbooks, playbook=playbook, workers=workers, progress=progress
    )


def combine(analyses: Sequence[NoteAnalysis], playbook: Playbook) -> dict[str, CriterionScore]:
    """Merge one deal's note analyses (oldest first): best evidence wins, a later loss lowers."""
    from kamcoach.analysis import engine

    return engine.combine(analyses, playbook)
