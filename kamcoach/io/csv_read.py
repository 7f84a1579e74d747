"""Read the CSV files CRMs and Excel produce, whatever their encoding and separator.

Excel on a French Windows saves "CSV" as cp1252 with ``;`` separators, often
with a UTF-8 byte-order mark when "CSV UTF-8" was chosen; Salesforce and
HubSpot export UTF-8 with commas; Pipedrive lets the user choose. The reader
sniffs all of that so the user never has to say, and refuses binary files
(an .xlsx renamed .csv) with one clear line instead of importing garbage.

Files are streamed: the encoding is checked over the whole file in 1 MiB
chunks, the separator sniffed on the first 50 lines (at most 1 MiB), and the
rows read one at a time by :meth:`CsvSource.rows`, so a 100,000-row export
costs no more memory than a 10-row one.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kamcoach.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 50
#: At most this much text is read to sniff the separator (a long note in the
#: first rows must not pull the whole file into memory).
_SAMPLE_CHARS = 1 << 20
_CHUNK = 1 << 20

#: Longest CSV field accepted, in characters. Python's default (131,072) is
#: shorter than a long pasted call note; 64 Mi characters is over 30 times the
#: 2,000,000 characters the analyser reads at once, yet bounded, so a file
#: with a runaway quote still fails with a clear row-level error.
FIELD_LIMIT = 64 * 1024 * 1024


@dataclass(slots=True)
class CsvData:
    """A parsed file: headers and data rows, each row with its number (header = row 1)."""

    path: Path
    encoding: str
    delimiter: str
    headers: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[self.delimiter]


def sniff_delimiter(text: str, path: Path) -> str:
    """The separator that splits the header into most columns and the sample consistently."""
    lines = text.splitlines()[:_SAMPLE_LINES]
    sample = "\n".join(lines)
    best, best_key = ",", (-1, -1)
    for delimiter in DELIMITERS:
        parsed: list[list[str]] = []
        try:
            parsed.extend(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error as exc:
            if not _too_long(exc):
                continue
            # A value over the limit: judge on the rows before it; reading the
            # file then names the row (it used to end as "a single column").
        if not parsed:
            continue
        width = len(parsed[0])
        # The last sampled record may be cut inside a quoted multi-line field.
        body = parsed[1:-1] if len(parsed) > 2 else parsed[1:]
        consistent = sum(1 for row in body if len(row) == width)
        key = (width if width > 1 else 0, consistent)
        if key > best_key:
            best, best_key = delimiter, key
    if best_key[0] <= 0:
        raise InputError(
            f"{path}: found a single column; expected a CSV with headers separated by , ; tab or |"
        )
    return best


def _allow_long_fields() -> None:
    """Raise the csv module's (process-wide) field limit to :data:`FIELD_LIMIT`."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)


@dataclass(frozen=True, slots=True)
class FileStamp:
    """Size and modification time: tells whether a file changed between two reads."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStamp:
        st = os.stat(path)
        return cls(st.st_size, st.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class CsvSource:
    """A CSV file whose rows are read on demand, as many times as needed, never all at once.

    Only the header, the encoding and the separator are kept; :meth:`rows`
    streams the data rows, so memory does not grow with the file.
    """

    path: Path
    encoding: str
    delimiter: str
    headers: list[str]
    stamp: FileStamp

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[self.delimiter]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows with their number (the header is row 1); blank rows are skipped."""
        _allow_long_fields()
        path = self.path
        number = 1
        try:
            with _open_text(path, self.encoding) as fh:
                reader = csv.reader(fh, delimiter=self.delimiter)
                next(reader, None)
                for row in reader:
                    number += 1
                    # The first cell usually settles it without a generator per row.
                    if not row or not (row[0].strip() or any(c.strip() for c in row)):
                        continue
                    yield number, row
        except csv.Error as exc:
            raise InputError(
                f"{path}: row {number + 1} (header is row 1): {_csv_error(exc)}"
            ) from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: near row {number + 1}: not {self.encoding} text ({exc.reason}); "
                "save it as CSV UTF-8 and try again"
            ) from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _too_long(exc: csv.Error) -> bool:
    return "field larger than field limit" in str(exc)


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    if _too_long(exc):
        return f"a value is longer than {FIELD_LIMIT:,} characters (a quote left open?)"
    return text


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    return path.open("r", encoding=encoding, newline="")


def _detect_encoding(path: Path) -> str:
    """UTF-8 with BOM, UTF-8 or cp1252, checked over the whole file in bounded chunks."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a CSV file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        try:
            head = fh.read(8192)
            _check_text(head, path)
            bom = head.startswith(b"\xef\xbb\xbf")
            fh.seek(0)
            blank = True
            utf8 = codecs.getincrementaldecoder("utf-8")()
            offset = 0
            try:
                while chunk := fh.read(_CHUNK):
                    blank = blank and not chunk.strip()
                    utf8.decode(chunk)
                    offset += len(chunk)
                utf8.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                if bom:
                    raise InputError(
                        f"{path}: starts with a UTF-8 mark but is not UTF-8 ({exc.reason})"
                    ) from None
                blank = False
                fh.seek(0)
                cp1252 = codecs.getincrementaldecoder("cp1252")()
                offset = 0
                try:
                    while chunk := fh.read(_CHUNK):
                        cp1252.decode(chunk)
                        offset += len(chunk)
                except UnicodeDecodeError as exc2:
                    raise InputError(
                        f"{path}: neither UTF-8 nor cp1252 text (byte {offset + exc2.start}); "
                        "save it as CSV UTF-8 and try again"
                    ) from None
                return "cp1252"
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if blank:
        raise InputError(f"{path}: the file is empty")
    return "utf-8-sig" if bom else "utf-8"


def _check_text(head: bytes, path: Path) -> None:
    if b"\x00" in head or head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        kind = "an Excel workbook" if head[:2] in (b"PK", b"\xd0\xcf") else "binary data"
        raise InputError(
            f"{path}: looks like {kind}, not a CSV text file; save it as CSV and try again"
        )


def open_csv(path: Path) -> CsvSource:
    """Check a CSV export and read its header; the rows are streamed later by :meth:`CsvSource.rows`."""
    _allow_long_fields()
    encoding = _detect_encoding(path)
    try:
        stamp = FileStamp.of(path)
        with _open_text(path, encoding) as fh:
            sample = fh.read(_SAMPLE_CHARS)
            delimiter = sniff_delimiter(sample, path)
            fh.seek(0)
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                headers = [h.strip() for h in next(reader)]
            except csv.Error as exc:
                raise InputError(f"{path}: row 1 (the header): {_csv_error(exc)}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not any(headers):
        raise InputError(f"{path}: row 1 (the header) is empty")
    return CsvSource(
        path=path, encoding=encoding, delimiter=delimiter, headers=headers, stamp=stamp
    )


def read_csv(path: Path) -> CsvData:
    """Read a whole (small) CSV export into memory; the importer streams :func:`open_csv` instead."""
    source = open_csv(path)
    result = CsvData(
        path=path, encoding=source.encoding, delimiter=source.delimiter, headers=source.headers
    )
    result.rows.extend(source.rows())
    return result
