"""Shared state of one CLI invocation: which database, which playbooks.

Both are opened lazily so ``kamcoach --help`` never touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlite_utils import Database

from kamcoach.paths import default_db_path
from kamcoach.playbooks.model import PlaybookSet


@dataclass
class Ctx:
    db_path: Path | None = None
    _db: Database | None = field(default=None, repr=False)
    _playbooks: PlaybookSet | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.db_path or default_db_path()

    @property
    def db(self) -> Database:
        if self._db is None:
            from kamcoach.storage.db import open_db

            self._db = open_db(self.path)
        return self._db

    @property
    def playbooks(self) -> PlaybookSet:
        if self._playbooks is None:
            from kamcoach.playbooks.loader import load_playbooks

            self._playbooks = load_playbooks()
        return self._playbooks

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


pass_ctx = click.make_pass_decorator(Ctx, ensure=True)
