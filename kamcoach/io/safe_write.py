"""Write the files users ask for (exports, reports, bad rows) without ever destroying data.

Why this module exists: output paths are typed by hand, and ``-o kamcoach.db``
or ``--bad-rows deals.csv`` used to truncate the live database or the very
CSV being imported. Every file kamcoach writes for a user goes through here:

- an output that is the database (or its ``-wal``/``-shm``/``-journal``
  file) or an input of the command is refused, even with ``--force``: same
  inode when both exist, same resolved path when the output does not exist
  yet (a symlink or ``../`` spelling of the same name);
- an existing file is only replaced when the user said so (``--force``);
- the file is written to a temporary file in the same folder, flushed to
  disk, then renamed over the target, so a crash or a full disk leaves the
  old file or the new one, never half of one;
- the file is created with mode 0600: exports hold customer names, amounts
  and call notes, which other local users have no business reading.

With ``--force`` a symlink at the output path is replaced by the new file,
not followed: writing through it could reach a file we were never asked
to touch.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlite_utils import Database

from kamcoach.errors import InputError
from kamcoach.paths import expand_user

DATABASE_SIDE_FILES: tuple[str, ...] = ("-wal", "-shm", "-journal")
"""SQLite's companions of a database file; overwriting one corrupts the database."""

FILE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class Guarded:
    """A file an output must never replace, and how to name it in the error."""

    path: Path
    what: str


class OutputExistsError(InputError):
    """The output file exists and the caller did not ask to overwrite it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path}: already exists; add --force to overwrite it")


def database_files(db_path: str | Path | None) -> list[Guarded]:
    """The database file and its side files (nothing for an in-memory database)."""
    if db_path is None or str(db_path) in ("", ":memory:"):
        return []
    path = expand_user(db_path, "database path")
    files = [Guarded(path, "the database")]
    files += [
        Guarded(Path(f"{path}{suffix}"), f"the database's {suffix[1:]} file")
        for suffix in DATABASE_SIDE_FILES
    ]
    return files


def database_files_of(db: Database) -> list[Guarded]:
    """:func:`database_files` for an open database (the TUI has no path at hand)."""
    for _seq, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return database_files(file or None)
    return []


def input_files(*paths: Path | None, what: str = "the input file") -> list[Guarded]:
    return [Guarded(p, what) for p in paths if p is not None]


def _same_file(a: Path, b: Path) -> bool:
    try:
        if os.path.samefile(a, b):  # hard links and every spelling of an existing file
            return True
    except (OSError, ValueError):
        pass  # one of them does not exist (yet): compare where they would be
    try:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))
    except (OSError, ValueError):
        return False


def check_output(path: Path, guarded: Iterable[Guarded] = (), *, force: bool = False) -> None:
    """Raise :class:`InputError` unless ``path`` may be written; writes nothing.

    Called before the command does any work (so a refused output leaves the
    database untouched) and again right before the file is replaced.
    """
    try:
        _check_output(path, guarded, force=force)
    except OSError as exc:  # a name too long for the filesystem, a folder we may not read...
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise InputError(f"{str(path)!r}: not a usable file name ({exc})") from None


def _check_output(path: Path, guarded: Iterable[Guarded], *, force: bool) -> None:
    if "\x00" in str(path):  # typed in the terminal app; no file name can hold it
        raise ValueError("it contains a NUL character")
    for item in guarded:
        if _same_file(path, item.path):
            raise InputError(
                f"{path}: is {item.what} ({item.path}); refusing to overwrite it, "
                "choose another output file"
            )
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give a file name")
    if not force and (path.exists() or path.is_symlink()):
        raise OutputExistsError(path)
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"{path}: folder {parent} does not exist")


@contextlib.contextmanager
def atomic_output(
    path: Path, guarded: Iterable[Guarded] = (), *, force: bool = False
) -> Iterator[BinaryIO]:
    """Yield a binary stream whose content replaces ``path`` only if the block succeeds."""
    guarded = list(guarded)
    check_output(path, guarded, force=force)
    # mkstemp creates the file with mode 0600, whatever the umask.
    prefix = f".{path.name[:100]}."
    try:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".part")
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        check_output(path, guarded, force=force)  # the target may have appeared meanwhile
        _publish(tmp, path, force=force)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def write_atomic(
    path: Path, data: bytes | str, guarded: Iterable[Guarded] = (), *, force: bool = False
) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` through :func:`atomic_output`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_output(path, guarded, force=force) as fh:
        fh.write(payload)


def _publish(tmp: Path, path: Path, *, force: bool) -> None:
    """Rename the finished file into place; without ``force`` never replace a file."""
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic "create only if absent"
    except FileExistsError:
        raise OutputExistsError(path) from None
    except OSError:
        # A filesystem without hard links (FAT, some network shares).
        if path.exists() or path.is_symlink():
            raise OutputExistsError(path) from None
        os.replace(tmp, path)
        return
    tmp.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) everywhere."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
