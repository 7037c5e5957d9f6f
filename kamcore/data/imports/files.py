"""Reading uploaded tables and writing safe ones.

Reading: a byte-order mark decides (UTF-8/16/32); else strict UTF-8; else charset-normalizer's
best guess among the encodings CRM exports come in (GB18030/GBK, Big5, Latin-1 …). The user can
override the guess. Cells are text; blanks are "" (never NaN, never a made-up value).

Mixed encodings: a file in which some rows are UTF-8 text (with non-ASCII characters) and other rows
are not UTF-8 (e.g. one GBK row pasted into a UTF-8 export) is refused, naming the rows that are not
UTF-8. No single encoding reads such a file: any guess would garble one part without a word. An
undecodable byte under a chosen encoding is named by its row.

Cells: every cell of every import is checked for control characters: a NUL, vertical tab, form feed
or any other C0 control except tab and line breaks is refused naming its row and column (a file
cannot carry them into a name; nothing is silently turned into a space or a line break).

Decimal mark: `read_table` looks at every number-shaped cell and decides whether the file writes
decimals with a point ("1,054.00") or a comma ("1.054,00", what Excel writes in much of Europe,
usually with a semicolon separator). A file whose numbers fit both readings ("1,054" only) is
ambiguous: `frame.attrs["decimal_mark"]` is None and the import waits for the person's pick.
`parse_amount` reads one cell strictly under the file's mark: letters, two decimal marks or a
thousands group that does not fit are refused, never guessed.

Writing: OWASP "CSV injection" — a text cell that starts with = + - @ TAB or CR is prefixed with
an apostrophe so a spreadsheet shows it instead of running it; control characters that
openpyxl/python-docx refuse (and that Excel pastes bring) are removed from exports.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from kamcore.errors import FieldProblem, ValidationError

AUTO = "auto"
ENCODINGS = (AUTO, "utf-8", "utf-16", "gb18030", "big5", "latin-1")
MAX_ROWS = 100_000
FIRST_DATA_ROW = 2  # row 1 is the header, as a spreadsheet numbers it
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# charset-normalizer names -> the superset codec we decode with (GBK/GB2312 text is GB18030 text)
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "big5hkscs": "big5", "cp950": "big5",
          "ascii": "utf-8", "utf_8": "utf-8", "utf_16": "utf-16", "utf_16_le": "utf-16-le", "utf_16_be": "utf-16-be"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
POINT, COMMA = ".", ","
DECIMAL_MARKS = (POINT, COMMA)
MAX_CELL_PROBLEMS = 20
# number-shaped cells and what they say about the decimal mark
_SPACES = " \u00a0\u202f'"
_NUMBERISH = re.compile(r"^[+-]?[\d][\d.,\u00a0\u202f' ]*$")
_POINT_ONLY = (re.compile(r"^[+-]?\d+\.(\d{1,2}|\d{4,})$"),  # 12.5, 1054.00, 0.1234
               re.compile(r"^[+-]?(\d{4,}|0)\.\d{3}$"),  # 12345.678, 0.125
               re.compile(r"^[+-]?\d{1,3}(,\d{3})+\.\d+$"),  # 1,054.00
               re.compile(r"^[+-]?\d{1,3}(,\d{3}){2,}$"))  # 1,234,567
_COMMA_ONLY = (re.compile(r"^[+-]?\d+,(\d{1,2}|\d{4,})$"),  # the same shapes with the marks swapped
               re.compile(r"^[+-]?(\d{4,}|0),\d{3}$"),
               re.compile(r"^[+-]?\d{1,3}(\.\d{3})+,\d+$"),
               re.compile(r"^[+-]?\d{1,3}(\.\d{3}){2,}$"))
_AMBIGUOUS = re.compile(r"^[+-]?\d{1,3}[.,]\d{3}$")  # 1,054 or 1.054: a thousands group, or three decimals?
_STRICT = {
    POINT: re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"),
    COMMA: re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"),
}


class ImportFileError(ValidationError):
    """The file itself cannot be read (empty, wrong encoding, not a table)."""


def file_error(reason: str, **params: Any) -> ImportFileError:
    """A problem with the whole file, named by an i18n reason key."""
    return ImportFileError([FieldProblem("file", reason, params)])


@dataclass
class Decoded:
    """Text of an upload and how it was decoded."""

    text: str
    encoding: str
    detected: bool  # True when we guessed (the preview says so and offers an override)


def detect_encoding(data: bytes) -> str:
    """The encoding of `data`: its BOM, else UTF-8 if it decodes, else charset-normalizer's best guess."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if len(data) >= 4 and data[1:2] == b"\x00" and data[3:4] == b"\x00":
        return "utf-16-le"  # UTF-16 without a BOM: every other byte of ASCII text is zero
    if len(data) >= 4 and data[0:1] == b"\x00" and data[2:3] == b"\x00":
        return "utf-16-be"
    from charset_normalizer import from_bytes

    # the encodings CRM exports for these teams come in; Korean/Japanese code pages would win short
    # Chinese samples by a hair and are left out on purpose (the user can still pick any encoding)
    best = from_bytes(data[:200_000], cp_isolation=["gb18030", "big5", "cp1252", "latin_1"]).best()
    name = (best.encoding if best else "gb18030").lower()
    name = _WIDER.get(name, name)
    if name not in ("gb18030", "big5") and _reads_as_chinese(data) and not _reads_as_latin(data):
        name = "gb18030"  # an English export with a few Chinese names: too little text for statistics
    if name == "big5" and _fits_gb2312(data):
        name = "gb18030"  # two or three characters give statistics nothing to go on; the byte ranges do
    for candidate in (name, "gb18030", "big5"):
        try:
            data.decode(candidate)
            return candidate
        except (UnicodeDecodeError, LookupError):
            continue
    return "latin-1"  # decodes anything; the preview shows the text so a wrong guess is visible


def row_of(data: bytes, position: int, encoding: str) -> int:
    """The row (as a spreadsheet numbers it: the header is row 1) that holds byte `position`."""
    try:
        return data[:position].decode(encoding, errors="replace").count("\n") + 1
    except LookupError:
        return data[:position].count(b"\n") + 1


def mixed_rows(data: bytes) -> list[int]:
    """The rows that are not UTF-8 in a file whose other rows are UTF-8 with non-ASCII text, else []."""
    if data.startswith(tuple(bom for bom, _ in _BOMS)) or b"\x00" in data[:4096]:
        return []  # a BOM or UTF-16/32: one encoding by construction
    bad, utf8_text = [], False
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
        else:
            utf8_text = utf8_text or not line.isascii()
    return bad if bad and utf8_text else []


def _fits_gb2312(data: bytes) -> bool:
    """Every non-ASCII byte pair lies in GB2312's character rows (lead 0xB0–0xF7, trail 0xA1–0xFE).
    Simplified text always does; Big5 text almost never does, even in two characters ("客戶" is
    0xABC8 0xA4E1), because Big5 uses lead bytes below 0xB0 and trail bytes below 0xA1."""
    position = 0
    while position < len(data):
        if data[position] < 0x80:
            position += 1
            continue
        pair = data[position:position + 2]
        if len(pair) < 2 or not (0xB0 <= pair[0] <= 0xF7 and 0xA1 <= pair[1] <= 0xFE):
            return False
        position += 2
    return True


def _reads_as_chinese(data: bytes) -> bool:
    """Every non-ASCII character of the GB18030 reading is Chinese text (ideographs, CJK punctuation)."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if ord(c) > 127]
    return bool(wide) and all("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in wide)


def _reads_as_latin(data: bytes) -> bool:
    """The cp1252 reading looks like accented Western words ("café", "Müller"): most non-ASCII characters
    are letters next to an ASCII letter (a GBK name read as cp1252 is a run of symbols: "»ªÐÅ°ë")."""
    text = data.decode("cp1252", errors="replace")
    wide = [i for i, c in enumerate(text) if ord(c) > 127]
    near = sum(1 for i in wide if text[i].isalpha() and any(
        0 <= j < len(text) and text[j].isascii() and text[j].isalpha() for j in (i - 1, i + 1)))
    return bool(wide) and near / len(wide) >= 0.5


def decode(data: bytes, encoding: str = AUTO) -> Decoded:
    """The upload as text, with the encoding used; ImportFileError naming the encoding when it does not fit."""
    chosen = encoding.lower() if encoding else AUTO
    detected = chosen == AUTO
    if not chosen.startswith(("utf-16", "utf-32")) and (mixed := mixed_rows(data)):
        shown = ", ".join(str(r) for r in mixed[:10]) + (" …" if len(mixed) > 10 else "")
        problem = FieldProblem("file", "reason.file_mixed_encoding", {"rows": shown, "count": len(mixed)})
        raise ImportFileError([problem])
    if detected:
        chosen = detect_encoding(data)
    elif chosen in ("utf-8", "utf8") and data.startswith(codecs.BOM_UTF8):
        chosen = "utf-8-sig"
    try:
        text = data.decode(chosen)
    except UnicodeDecodeError as exc:
        row = row_of(data, exc.start, chosen)
        raise ImportFileError([FieldProblem("file", "reason.file_encoding_row",
                                            {"encoding": encoding.upper(), "row": row, "position": exc.start},
                                            row=row)]) from None
    except LookupError:
        raise file_error("reason.file_encoding", encoding=encoding.upper(), position=0) from None
    return Decoded(text.lstrip("\ufeff"), chosen, detected)


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    return max(counts, key=lambda d: (counts[d], d == ","))


def read_table(data: bytes, filename: str = "upload.csv", encoding: str = AUTO,
               decimal_mark: str | None = None) -> pd.DataFrame:
    """The uploaded file as a table of text cells (empty cells are ""), header row first: the one reader
    of every import (accounts, contacts, products, deals, financials, exchange rates).

    `frame.attrs`: "encoding" (used), "detected" (whether we guessed it), "separator", "decimal_mark"
    ("." or ",", or None when the file is ambiguous and `decimal_mark` was not given: the person picks),
    "decimal_detected" and "decimal_example" (a cell of the file and how it reads, for the preview).
    A control character in any cell (NUL, vertical tab…) refuses the file naming row and column.
    """
    if not data or not data.strip():
        raise file_error("reason.file_empty")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the user's file, not our bug
            raise file_error("reason.file_unreadable", detail=type(exc).__name__) from None
        used, detected, separator = "xlsx", False, ""
    else:
        decoded = decode(data, encoding)
        if not decoded.text.strip():
            raise file_error("reason.file_empty")
        separator = _delimiter(decoded.text)
        try:
            frame = pd.read_csv(io.StringIO(decoded.text), dtype=str, keep_default_na=False, skip_blank_lines=True,
                                sep=separator)
        except (pd.errors.EmptyDataError, pd.errors.ParserError, csv.Error) as exc:
            raise file_error("reason.file_unreadable", detail=str(exc)[:120]) from None
        used, detected = decoded.encoding, decoded.detected
    frame = frame.fillna("")
    columns = [str(c).strip() for c in frame.columns]
    duplicated = [c for c in columns if columns.count(c) > 1 or re.fullmatch(r".+\.\d+", c) and c.rsplit(".", 1)[0]
                  in columns]
    if duplicated:
        raise file_error("reason.file_duplicate_column", column=duplicated[0].rsplit(".", 1)[0])
    frame.columns = columns
    if frame.empty:
        raise file_error("reason.file_no_rows")
    if len(frame) > MAX_ROWS:
        raise file_error("reason.file_too_long", max=MAX_ROWS)
    check_cells(frame)
    frame.attrs["encoding"], frame.attrs["detected"], frame.attrs["separator"] = used, detected, separator
    found, example = (POINT, _first_number(frame)) if used == "xlsx" else detect_decimal_mark(frame)
    if decimal_mark is not None and decimal_mark not in DECIMAL_MARKS:
        raise file_error("reason.decimal_mark_unknown", value=str(decimal_mark)[:5])
    frame.attrs["decimal_detected"] = decimal_mark is None
    frame.attrs["decimal_mark"] = decimal_mark or found
    frame.attrs["decimal_example"] = example
    return frame


def check_cells(frame: pd.DataFrame) -> None:
    """Refuse a table with a control character in any cell or header, naming each row and column."""
    problems = [FieldProblem(str(c)[:60], "reason.control_character_cell", {"column": str(c)[:60]}, row=1)
                for c in frame.columns if _CONTROL.search(str(c))]
    for column in frame.columns:
        values = frame[column].astype(str)
        hits = values.str.contains(_CONTROL, regex=True)
        for index in hits[hits].index[:MAX_CELL_PROBLEMS]:
            char = _CONTROL.search(values[index]).group(0)  # type: ignore[union-attr]
            problems.append(FieldProblem(str(column)[:60], "reason.control_character_cell",
                                         {"column": str(column)[:60], "char": f"U+{ord(char):04X}"},
                                         row=int(frame.index.get_loc(index)) + FIRST_DATA_ROW))
        if len(problems) >= MAX_CELL_PROBLEMS:
            break
    if problems:
        raise ImportFileError(sorted(problems, key=lambda p: p.row or 0)[:MAX_CELL_PROBLEMS])


def _numberish(frame: pd.DataFrame, limit: int = 20_000) -> list[str]:
    """Number-shaped cells of the table (at most `limit`), the evidence for its decimal mark."""
    out: list[str] = []
    for column in frame.columns:
        for value in frame[column].astype(str):
            text = value.strip()
            if text and _NUMBERISH.match(text):
                out.append(text)
                if len(out) >= limit:
                    return out
    return out


def _first_number(frame: pd.DataFrame) -> str | None:
    cells = [c for c in _numberish(frame, 200) if POINT in c]
    return cells[0] if cells else None


def detect_decimal_mark(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    """("." or "," or None when ambiguous, a cell that shows it). A file without any decimal or grouped
    number ("12", "2026") reads the same either way: "."; one whose only such cells are like "1,054" or
    "1.054" (a thousands group or three decimals?) is ambiguous."""
    point = comma = 0
    point_example = comma_example = ambiguous = None
    for text in _numberish(frame):
        compact = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "").replace("'", "")
        if any(p.match(compact) for p in _POINT_ONLY):
            point += 1
            point_example = point_example or text
        elif any(p.match(compact) for p in _COMMA_ONLY):
            comma += 1
            comma_example = comma_example or text
        elif _AMBIGUOUS.match(compact):
            ambiguous = ambiguous or text
    if comma > point:
        return COMMA, comma_example
    if point:
        return POINT, point_example
    if ambiguous is not None:
        return None, ambiguous
    return POINT, None


def parse_amount(text: str, mark: str | None) -> Decimal | None:
    """One number cell under the file's decimal mark, exactly (a Decimal), or None for a blank cell.

    Raises ValueError with a reason key: "reason.amount_not_number" (letters or symbols),
    "reason.amount_wrong_mark" (two decimal marks, or grouping that does not fit the file's mark, e.g.
    "1.234.567,89" in a decimal-point file), "reason.decimal_mark_needed" (the file is ambiguous and
    nobody picked)."""
    value = str(text).strip()
    if not value:
        return None
    compact = value
    for space in _SPACES:
        compact = compact.replace(space, "")
    if not re.fullmatch(r"[+-]?[\d.,]+", compact) or not re.search(r"\d", compact):
        raise ValueError("reason.amount_not_number")
    if mark is None:
        if POINT not in compact and COMMA not in compact:
            return Decimal(compact)
        raise ValueError("reason.decimal_mark_needed")
    if not _STRICT[mark].match(compact):
        raise ValueError("reason.amount_wrong_mark")
    group = COMMA if mark == POINT else POINT
    try:
        return Decimal(compact.replace(group, "").replace(mark, "."))
    except InvalidOperation:
        raise ValueError("reason.amount_not_number") from None


def amount_example(text: str | None, mark: str | None) -> str | None:
    """How the preview shows the file's decimal mark: "1054,00 → 1,054.00" (None when nothing shows it)."""
    if text is None or mark is None:
        return None
    try:
        value = parse_amount(text, mark)
    except ValueError:
        return None
    if value is None:
        return None
    decimals = max(0, -value.as_tuple().exponent) if isinstance(value.as_tuple().exponent, int) else 0
    return f"{text} → {value:,.{decimals}f}"


def amount_problem(column: str, text: str, mark: str | None, row: int) -> FieldProblem | None:
    """The problem of one amount cell as a FieldProblem naming its row and column, or None when it reads."""
    try:
        parse_amount(text, mark)
    except ValueError as exc:
        return FieldProblem(column, str(exc), {"value": str(text)[:40], "mark": mark or "?",
                                               "example": "1,054.00" if mark != COMMA else "1.054,00"}, row=row)
    return None


def require_columns(frame: pd.DataFrame, columns: dict[str, str], required: tuple[str, ...]) -> None:
    """Refuse a mapping that leaves a required field unmapped or names a column the file lacks."""
    problems = [FieldProblem(f, "reason.column_not_mapped") for f in required if not columns.get(f)]
    problems += [FieldProblem(ours, "reason.column_missing", {"column": col})
                 for ours, col in columns.items() if col and col not in frame.columns]
    if problems:
        raise ValidationError(problems)


# ---------------------------------------------------------------- export safety


def safe_text(value: Any) -> Any:
    """A cell as a spreadsheet may safely hold it: control characters removed, a formula start neutralised."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and header) of a table made safe for CSV/Excel (OWASP CSV injection)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_text)
    out.columns = [safe_text(str(c)) for c in out.columns]
    return out


def strip_control(text: str) -> str:
    """Text without control characters (tab and newlines kept): what a paste from Excel may bring."""
    return _CONTROL.sub("", text)
