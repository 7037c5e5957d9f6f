"""Reading uploaded tables and writing safe ones.

Reading: a byte-order mark decides (UTF-8/16/32); else strict UTF-8; else charset-normalizer's
best guess among the encodings CRM exports come in (GB18030/GBK, Big5, Latin-1 …). The user can
override the guess. Cells are text; blanks are "" (never NaN, never a made-up value).

Mixed encodings: a file in which some rows are UTF-8 text (with non-ASCII characters) and other rows
are not UTF-8 (e.g. one GBK row pasted into a UTF-8 export) is refused, naming the rows that are not
UTF-8. No single encoding reads such a file: any guess would garble one part without a word. An
undecodable byte under a chosen encoding is named by its row.

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


def read_table(data: bytes, filename: str = "upload.csv", encoding: str = AUTO) -> pd.DataFrame:
    """The uploaded file as a table of text cells (empty cells are ""), header row first.

    `frame.attrs["encoding"]` names the encoding used and `frame.attrs["detected"]` whether we guessed it.
    """
    if not data or not data.strip():
        raise file_error("reason.file_empty")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the user's file, not our bug
            raise file_error("reason.file_unreadable", detail=type(exc).__name__) from None
        used, detected = "xlsx", False
    else:
        decoded = decode(data, encoding)
        if not decoded.text.strip():
            raise file_error("reason.file_empty")
        try:
            frame = pd.read_csv(io.StringIO(decoded.text), dtype=str, keep_default_na=False, skip_blank_lines=True,
                                sep=_delimiter(decoded.text))
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
    frame.attrs["encoding"], frame.attrs["detected"] = used, detected
    return frame


def guess_columns(columns: list[str], guesses: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """A first guess at which file column holds which field: our field -> the file's column whose name
    (case and edge spaces aside) is one of the field's `guesses` (the last listed one where several are)."""
    lowered = {c.lower().strip(): c for c in columns}
    return {ours: lowered[n] for ours, names in guesses.items() for n in names if n in lowered}


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
