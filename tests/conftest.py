"""Shared fixtures: temporary databases and a CLI runner on the real entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from kamcoach.playbooks.model import PlaybookSet
from kamcoach.storage.db import open_db

PINNED_TODAY = "2026-11-20"


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Never touch the developer's real database or config during tests."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("KAMCOACH_DB", raising=False)
    monkeypatch.delenv("KAMCOACH_CONFIG_DIR", raising=False)
    monkeypatch.delenv("KAMCOACH_STATE_DIR", raising=False)
    # The interface language follows $LANG unless config.toml says: tests read English.
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("KAMCOACH_TODAY", PINNED_TODAY)
    # Tests start from fresh files the way a user who passed --create once does;
    # tests/test_db_paths.py unsets this to check the refusals themselves.
    monkeypatch.setenv("KAMCOACH_CREATE", "1")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "kamcoach.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_db(db_path)
    yield database
    database.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def demo_db(db: Database) -> Database:
    """The bundled demo pipeline in a fresh database (modules may define their own)."""
    from kamcoach.io.demo import load_demo

    load_demo(db)
    return db


@pytest.fixture(scope="session")
def playbooks() -> PlaybookSet:
    """The bundled playbooks, loaded once (modules may define their own)."""
    from kamcoach.playbooks.loader import load_playbooks

    return load_playbooks()
