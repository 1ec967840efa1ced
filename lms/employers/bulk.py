"""Bulk checks: a CSV or Excel file of certificate numbers (optionally with holder
names) read safely, each row answered, within the organisation's daily budget.

Reading never trusts the file: its kind is told by its bytes, an XLSX's zip
directory is checked before anything is decompressed (a zip bomb is refused
unopened), text encodings are detected (UTF-8, UTF-16 as Excel exports it, GBK)
and one bad row never stops the others.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.certificates import numbers
from lms.certificates.labels import revocation_label as certificate_revocation_label
from lms.certificates.verification import Verification, VerificationState, verify_certificates
from lms.config import config_value
from lms.employers.models import BulkCheck, BulkCheckUsage
from lms.employers.services import EmployerError, local_today
from lms.i18n import _l
from lms.state import get_session

MAX_ROWS = 1000
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
#: what an XLSX may expand to, all its parts together (a 1,000-row sheet needs well under 1 MB)
MAX_XLSX_EXPANDED_BYTES = 20 * 1024 * 1024
MAX_XLSX_PARTS = 200
MAX_CELL_CHARS = 200
XLSX_MAGIC = b"PK\x03\x04"
FORMULA_STARTS = ("=", "+", "@")


class RowKind:
    """Every answer a row can get (the values are the CSV's and the API's codes)."""

    VALID = "valid"
    MISTYPED = "mistyped"
    MALFORMED = "malformed"
    NOT_FOUND = "not_found"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    NAME_MISMATCH = "name_mismatch"
    DUPLICATE = "duplicate"
    FORMULA = "formula"


ROW_LABELS = {
    RowKind.VALID: _l("Valid"),
    RowKind.MISTYPED: _l("Mistyped: the check character does not match"),
    RowKind.MALFORMED: _l("Not a certificate number of ours"),
    RowKind.NOT_FOUND: _l("Not found"),
    RowKind.REVOKED: _l("Revoked"),
    RowKind.EXPIRED: _l("Expired"),
    RowKind.SUPERSEDED: _l("Superseded"),
    RowKind.NAME_MISMATCH: _l("Name does not match the holder"),
    RowKind.DUPLICATE: _l("Duplicate of an earlier row"),
    RowKind.FORMULA: _l("A formula, not a number: type the number itself"),
}


@dataclass(frozen=True)
class UploadRow:
    """One non-empty row of the file: its line (or sheet row) number and cells."""

    line: int
    number: str
    name: str


@dataclass(frozen=True)
class Upload:
    rows: list[UploadRow]
    empty_rows: int
    encoding: str


# ---------------------------------------------------------------- reading files


def _decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was found in, else EmployerError."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise EmployerError(_l("This file could not be read as UTF-16 text.")) from None
    if b"\x00" in data[:200]:
        # UTF-16 without its byte-order mark: every other byte of Latin text is NUL.
        even_nuls = data[:200:2].count(0)
        encoding = "utf-16-be" if even_nuls > data[1:200:2].count(0) else "utf-16-le"
        try:
            return data.decode(encoding), "utf-16"
        except UnicodeDecodeError:
            pass
        raise EmployerError(
            _l("This file is not text. Save it as CSV (UTF-8) or as an Excel workbook (.xlsx).")
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves "CSV" in GBK; GB 18030 reads GBK and more.
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise EmployerError(
            _l(
                "This file's text encoding is not UTF-8, UTF-16 or GBK. "
                "In Excel choose Save as, then CSV UTF-8."
            )
        ) from None


def _csv_rows(text: str) -> list[list[str]]:
    first = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated.
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error:
        raise EmployerError(_l("This CSV file is damaged and cannot be read.")) from None


def _check_zip_directory(data: bytes) -> None:
    """Refuse an XLSX whose parts would expand beyond reason, before opening any part."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise EmployerError(_l("This Excel file is damaged and cannot be read.")) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_XLSX_PARTS:
            raise EmployerError(_l("This Excel file has too many parts to be a plain sheet."), 413)
        expanded = sum(part.file_size for part in parts)
        if expanded > MAX_XLSX_EXPANDED_BYTES:
            raise EmployerError(
                _l(
                    "This Excel file expands to far more than its size. "
                    "Copy the numbers into a new workbook and upload that."
                ),
                413,
            )
        if "xl/workbook.xml" not in {part.filename for part in parts}:
            raise EmployerError(_l("This file is not an Excel workbook (.xlsx)."))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    _check_zip_directory(data)
    import openpyxl  # imported here: only an upload of a workbook needs it

    try:
        # Not data_only: a formula stays visible as its text and is never evaluated.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise EmployerError(_l("This Excel file is damaged and cannot be read.")) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return []
        rows = []
        filled = 0
        for row in sheet.iter_rows(values_only=True):
            cells = [_cell_text(value) for value in row[:2]]
            rows.append(cells)
            filled += any(cell.strip() for cell in cells)
            # A header and one row too many are enough to refuse the file.
            if filled > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _looks_like_header(cells: Sequence[str]) -> bool:
    first = cells[0].strip() if cells else ""
    if not first or any(char.isdigit() for char in first):
        return False
    # A number may happen to hold no digit at all; anything shaped like one is data.
    return numbers.check_number(first).status is numbers.NumberStatus.MALFORMED


def read_upload(filename: str, data: bytes) -> Upload:
    """The rows of an uploaded CSV or XLSX file, else EmployerError with what to do."""
    if not data:
        raise EmployerError(_l("Choose a CSV or Excel file of certificate numbers."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise EmployerError(
            _l("The file is larger than %(count)d MB.", count=MAX_UPLOAD_BYTES // (1024 * 1024)),
            413,
        )
    lower = (filename or "").lower()
    if data.startswith(XLSX_MAGIC):
        raw_rows, encoding = _xlsx_rows(data), "xlsx"
    elif lower.endswith((".xlsx", ".xls", ".xlsm")) or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise EmployerError(
            _l("Only .xlsx workbooks can be read: save the file as Excel workbook (.xlsx) or CSV.")
        )
    elif data.startswith(b"%PDF") or data[:4] in (
        b"\x89PNG",
        b"\xff\xd8\xff\xe0",
        b"\xff\xd8\xff\xe1",
    ):
        raise EmployerError(_l("This file is not a CSV or Excel file."))
    else:
        text, encoding = _decode(data)
        raw_rows = _csv_rows(text)
    rows: list[UploadRow] = []
    empty = 0
    header_seen = False
    for line, cells in enumerate(raw_rows, start=1):
        cells = [str(cell)[:MAX_CELL_CHARS] for cell in cells]
        if not any(cell.strip() for cell in cells):
            empty += 1
            continue
        if not header_seen and not rows:
            header_seen = True
            if _looks_like_header(cells):
                continue
        rows.append(UploadRow(line, cells[0].strip(), cells[1].strip() if len(cells) > 1 else ""))
        if len(rows) > MAX_ROWS:
            raise EmployerError(
                _l(
                    "The file has more than %(count)d rows. Split it and upload each part.",
                    count=MAX_ROWS,
                ),
                413,
            )
    if not rows:
        raise EmployerError(_l("The file holds no certificate numbers."))
    return Upload(rows, empty, encoding)


# ---------------------------------------------------------------- the daily budget


def daily_limit() -> int:
    """Rows an employer organisation may check in bulk per day (LMS_EMPLOYER_BULK_ROWS_PER_DAY)."""
    return int(config_value("LMS_EMPLOYER_BULK_ROWS_PER_DAY"))


def rows_checked_today(organisation_id: int, day: dt.date | None = None) -> int:
    """Rows the organisation checked in bulk today."""
    used = get_session().scalar(
        select(BulkCheckUsage.rows).where(
            BulkCheckUsage.organisation_id == organisation_id,
            BulkCheckUsage.day == (day or local_today()),
        )
    )
    return used or 0


def take_from_budget(organisation_id: int, count: int, day: dt.date | None = None) -> None:
    """Count ``count`` rows against today's budget, or refuse them all (EmployerError 429).

    A guarded UPDATE, so two uploads at once (on any processes) cannot both
    slip under the limit.
    """
    day = day or local_today()
    limit = daily_limit()
    if count > limit:
        raise EmployerError(
            _l("Your organisation may check %(count)d rows a day.", count=limit), 429
        )
    session = get_session()
    guarded = (
        update(BulkCheckUsage)
        .where(
            BulkCheckUsage.organisation_id == organisation_id,
            BulkCheckUsage.day == day,
            BulkCheckUsage.rows + count <= limit,
        )
        .values(rows=BulkCheckUsage.rows + count)
        .execution_options(synchronize_session=False)
    )
    if session.execute(guarded).rowcount == 1:
        return
    exists = session.scalar(
        select(BulkCheckUsage.id).where(
            BulkCheckUsage.organisation_id == organisation_id, BulkCheckUsage.day == day
        )
    )
    if exists is None:
        savepoint = session.begin_nested()
        try:
            session.add(BulkCheckUsage(organisation_id=organisation_id, day=day, rows=count))
            session.flush()
        except IntegrityError:
            savepoint.rollback()
            # Another upload created today's row first: count against it.
            return take_from_budget(organisation_id, count, day)
        savepoint.commit()
        return
    left = max(0, limit - rows_checked_today(organisation_id, day))
    raise EmployerError(
        _l(
            "Your organisation's bulk checks for today are used up "
            "(%(left)d of %(limit)d rows left). Try again tomorrow.",
            left=left,
            limit=limit,
        ),
        429,
    )


# ---------------------------------------------------------------- answering rows


def kind_of(result: Verification) -> str:
    """The answer code of one verification (see :class:`RowKind`)."""
    if result.state is VerificationState.MISTYPED:
        return RowKind.MISTYPED
    if result.state is VerificationState.MALFORMED:
        return RowKind.MALFORMED
    if result.state is VerificationState.NOT_FOUND:
        return RowKind.NOT_FOUND
    if result.name_given and not result.name_matches:
        return RowKind.NAME_MISMATCH
    return {
        VerificationState.VALID: RowKind.VALID,
        VerificationState.REVOKED: RowKind.REVOKED,
        VerificationState.EXPIRED: RowKind.EXPIRED,
        VerificationState.SUPERSEDED: RowKind.SUPERSEDED,
    }[result.state]


def _typed_check(text: str) -> str | None:
    """The check character (the last symbol) of a typed number, as normalised."""
    try:
        return numbers.normalise_number(text)[-1]
    except numbers.MalformedNumber:
        return None


def answer_row(row: UploadRow | None, result: Verification | None, kind: str) -> dict[str, Any]:
    """One row's answer as stored and exported: only what a verifier may learn."""
    answer: dict[str, Any] = {
        "line": row.line if row else None,
        "input": row.number if row else "",
        "kind": kind,
        "number": result.number if result else None,
        "holder_name": None,
        "title": None,
        "issued_on": None,
        "expires_on": None,
        "revocation_category": None,
        "superseded_by": None,
        "check_character": None,
    }
    if kind == RowKind.MISTYPED and row is not None:
        answer["check_character"] = _typed_check(row.number)
    if result is not None and result.certificate is not None:
        data = result.as_dict()["certificate"]
        answer.update(
            holder_name=data["holder_name"],
            title=data["title"],
            issued_on=data["issued_on"],
            expires_on=data["expires_on"],
            revocation_category=data["revocation_category"],
            superseded_by=data["superseded_by"],
        )
    return answer


def answer_rows(rows: Sequence[UploadRow], today: dt.date | None = None) -> list[dict[str, Any]]:
    """Every row's answer, in file order; duplicates and formulas are told apart."""
    first_line: dict[str, int] = {}
    to_check: list[int] = []
    kinds: list[str | None] = []
    for index, row in enumerate(rows):
        if row.number.startswith(FORMULA_STARTS) or row.name.startswith(FORMULA_STARTS):
            kinds.append(RowKind.FORMULA)
            continue
        check = numbers.check_number(row.number)
        if check.ok and check.compact in first_line:
            kinds.append(RowKind.DUPLICATE)
            continue
        if check.ok and check.compact:
            first_line[check.compact] = row.line
        kinds.append(None)
        to_check.append(index)
    results = verify_certificates([(rows[i].number, rows[i].name or None) for i in to_check], today)
    by_index = dict(zip(to_check, results, strict=True))
    answers = []
    for index, row in enumerate(rows):
        kind = kinds[index]
        result = by_index.get(index)
        if kind is None and result is not None:
            answers.append(answer_row(row, result, kind_of(result)))
            continue
        answer = answer_row(row, None, kind or RowKind.MALFORMED)
        if kind == RowKind.DUPLICATE:
            check = numbers.check_number(row.number)
            answer["number"] = check.number
            answer["duplicate_of"] = first_line.get(check.compact or "")
        answers.append(answer)
    return answers


def run_bulk_check(
    organisation_id: int, profile_id: int, filename: str, data: bytes, today: dt.date | None = None
) -> BulkCheck:
    """Read the file, take its rows from today's budget, answer every row and keep the table."""
    upload = read_upload(filename, data)
    take_from_budget(organisation_id, len(upload.rows))
    check = BulkCheck(
        organisation_id=organisation_id,
        created_by_id=profile_id,
        filename=(filename or "upload")[:200],
        results=answer_rows(upload.rows, today),
    )
    session = get_session()
    session.add(check)
    session.flush()
    return check


def bulk_check_of(organisation_id: int, check_id: int) -> BulkCheck:
    """One of the organisation's bulk checks, else EmployerError 404."""
    check = get_session().get(BulkCheck, check_id)
    if check is None or check.organisation_id != organisation_id:
        raise EmployerError(_l("This bulk check does not exist."), 404)
    return check


def revocation_label(category: str | None) -> str:
    """The public words of a revocation category."""
    return certificate_revocation_label(category)
