"""Fixtures for the analyser tests (imported explicitly by tests/test_analysis_*.py)."""

from __future__ import annotations

import pytest

from kamcoach.playbooks.loader import load_playbooks
from kamcoach.playbooks.model import PlaybookSet


@pytest.fixture(scope="session")
def playbooks() -> PlaybookSet:
    return load_playbooks()


@pytest.fixture(scope="session")
def fr_nlp():  # type: ignore[no-untyped-def]
    """The French model, loaded once for the whole session."""
    from kamcoach.analysis.nlp import get_pipeline

    return get_pipeline("fr")
