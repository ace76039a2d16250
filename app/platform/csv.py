"""CSV for spreadsheets: cells defused against formula injection, rows encoded with Windows line ends."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# Leads a file so that spreadsheet programs read the accents as UTF-8.
BOM = "\ufeff".encode()
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell's text, defused: one that a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(records: Iterable[Sequence[object]]) -> bytes:
    """Rows as UTF-8 CSV bytes, every cell defused and quoted where needed."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([csv_cell(value) for value in row] for row in records)
    return buffer.getvalue().encode()
