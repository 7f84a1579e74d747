"""Read the CSV files CRMs and Excel produce, whatever their encoding and separator.

Excel on a French Windows saves "CSV" as cp1252 with ``;`` separators, often
with a UTF-8 byte-order mark when "CSV UTF-8" was chosen; Salesforce and
HubSpot export UTF-8 with commas; Pipedrive lets the user choose. The reader
sniffs all of that so the user never has to say, and refuses binary files
(an .xlsx renamed .csv) with one clear line instead of importing garbage.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from kamcoach.errors import InputError

DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_LINES = 50


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


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and encoding name: UTF-8 with BOM, then UTF-8, then cp1252."""
    head = data[:8192]
    if b"\x00" in head or head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        kind = "an Excel workbook" if head[:2] in (b"PK", b"\xd0\xcf") else "binary data"
        raise InputError(
            f"{path}: looks like {kind}, not a CSV text file; save it as CSV and try again"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: starts with a UTF-8 mark but is not UTF-8 ({exc.reason})"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: neither UTF-8 nor cp1252 text (byte {exc.start}); "
            "save it as CSV UTF-8 and try again"
        ) from None
    return text, "cp1252"


def sniff_delimiter(text: str, path: Path) -> str:
    """The separator that splits the header into most columns and the sample consistently."""
    lines = text.splitlines()[:_SAMPLE_LINES]
    sample = "\n".join(lines)
    best, best_key = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            parsed = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue
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


def read_csv(path: Path) -> CsvData:
    """Read a whole CSV export; empty lines are skipped, ragged rows kept (the importer reports them)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a CSV file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    text, encoding = decode(data, path)
    delimiter = sniff_delimiter(text, path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise InputError(f"{path}: row 1 (the header): {exc}") from None
    if not any(headers):
        raise InputError(f"{path}: row 1 (the header) is empty")
    result = CsvData(path=path, encoding=encoding, delimiter=delimiter, headers=headers)
    number = 1
    try:
        for row in reader:
            number += 1
            if not any(cell.strip() for cell in row):
                continue
            result.rows.append((number, row))
    except csv.Error as exc:
        raise InputError(f"{path}: row {number} (header is row 1): {exc}") from None
    return result
