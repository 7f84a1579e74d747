"""Shared state of one CLI invocation: which database, which playbooks.

Both are opened lazily so ``kamcoach --help`` never touches the disk.

Which database may be created: the default one, on first use (the TUI fills
it with the demo and says so); any other path only with ``--create`` (or
``kamcoach demo``, which always creates): a mistyped ``--db`` must not leave an
empty database, or a folder, behind. A path whose folder does not exist is
refused even with ``--create``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
from sqlite_utils import Database

from kamcoach.errors import DatabaseError
from kamcoach.paths import default_db_path, expand_user
from kamcoach.playbooks.model import PlaybookSet


@dataclass
class Ctx:
    db_path: Path | None = None
    create: bool = False
    """``--create``: a missing database at a non-default path may be created (empty)."""
    _db: Database | None = field(default=None, repr=False)
    _playbooks: PlaybookSet | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.db_path or default_db_path()

    @property
    def is_default(self) -> bool:
        return self.db_path is None or _same(self.db_path, default_db_path())

    def missing(self) -> bool:
        """True when there is no database file yet at the chosen path."""
        if str(self.path) == ":memory:":
            return False
        try:
            return not expand_user(self.path, "database path").exists()
        except OSError:  # a name too long, a folder we may not read: open_db says which
            return False

    def check_path(self) -> None:
        """Refuse to create a database where the user did not ask for one (see the module)."""
        if self.is_default or not self.missing():
            return
        path = expand_user(self.path, "database path")
        if not path.parent.is_dir():
            raise DatabaseError(
                f"{self.path}: the folder {path.parent} does not exist (a mistyped --db?); "
                "nothing was created"
            )
        if not self.create:
            raise DatabaseError(
                f"{self.path}: no database there; add --create to start an empty one "
                f"(or `kamcoach demo --db {self.path}` for the demo)"
            )

    @property
    def db(self) -> Database:
        if self._db is None:
            from kamcoach.storage.db import open_db

            self.check_path()
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


def _same(a: Path, b: Path) -> bool:
    try:
        return expand_user(a, "database path").resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False
