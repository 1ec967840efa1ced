"""Bulk checks: a 1,000-row file with every kind of row, the encodings Excel
writes, workbooks with formulas, zip bombs, and the daily budget."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import select

from lms.certificates import issuing, numbers
from lms.certificates.models import Certificate
from lms.employers import bulk
from lms.employers.models import BulkCheck, BulkCheckUsage
from lms.employers.services import EmployerError
from lms.state import get_session
from tests.certificates.conftest import days_ago, english
from tests.conftest import post_form
from tests.employers.conftest import revoke


def _mistyped(number: str) -> str:
    """The number with a wrong check symbol."""
    formatted = numbers.format_number(number)
    wrong = next(s for s in numbers.CHECK_ALPHABET[:32] if s != formatted[-1])
    return formatted[:-1] + wrong


def _upload(client, data: bytes, filename: str = "riders.csv"):
    return post_form(
        client,
        "/employer/checks",
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def every_kind(cert_app, hiring, issue):
    """Certificates of every status and a 1,000-row CSV with every kind of row."""
    learner = hiring.learner.profile_id
    valid = issue(learner, course="valid")
    revoked = issue(learner, course="revoked")
    expired = issue(learner, course="expired", issued_on=days_ago(400), expires_on=days_ago(5))
    old = issue(learner, course="old")
    revoke(cert_app, revoked)
    with cert_app.app_context():
        certificate = get_session().query(Certificate).filter_by(number=old).one()
        issuing.reissue_certificate(certificate, "欧阳晓明", None)
        get_session().commit()
    formatted = numbers.format_number(valid)
    rows = [
        ["证书编号", "姓名"],
        # As typed on a phone: lower case, spaces instead of dashes, O for 0, I for 1.
        [formatted.lower().replace("-", " ").replace("0", "O").replace("1", "I"), "欧阳晓明"],
        [numbers.format_number(revoked), ""],
        [numbers.format_number(expired), ""],
        [numbers.format_number(old), ""],
        [numbers.format_number(valid), "张三"],  # a duplicate: the first row answers it
        [_mistyped(valid), ""],
        ["", ""],
        ['=HYPERLINK("http://x","LMS")', ""],
        ["Y12345678901234567890A", ""],
    ]
    fill = 1000 - (len(rows) - 2)  # the header and the empty row do not count
    for index in range(fill):
        fresh = numbers.new_certificate_number()
        rows.append([_mistyped(fresh) if index % 3 == 0 else fresh, ""])
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return {
        "data": out.getvalue().encode("utf-8"),
        "valid": valid,
        "revoked": revoked,
        "fill": fill,
    }


def test_a_thousand_row_file_gets_every_kind_of_answer(cert_app, hiring, every_kind):
    response = _upload(hiring.employer_client, every_kind["data"])

    assert response.status_code == 302
    with cert_app.app_context():
        check = get_session().scalars(select(BulkCheck)).one()
        results = check.results
    kinds = [row["kind"] for row in results]
    mistyped_fill = len(range(0, every_kind["fill"], 3))
    assert len(results) == 1000
    assert kinds[:8] == [
        "valid",
        "revoked",
        "expired",
        "superseded",
        "duplicate",
        "mistyped",
        "formula",
        "malformed",
    ]
    assert kinds.count("mistyped") == 1 + mistyped_fill
    assert kinds.count("not_found") == every_kind["fill"] - mistyped_fill
    assert results[0]["holder_name"] == "欧阳晓明"  # the name given matches: shown in full
    assert results[0]["number"] == numbers.format_number(every_kind["valid"])
    assert results[1]["revocation_category"] == "obtained_by_fraud"
    assert results[3]["superseded_by"]
    assert results[4]["duplicate_of"] == 2
    assert results[5]["check_character"]
    page = hiring.employer_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "输入有误：校验字符不符" in page


def test_a_wrong_name_is_a_name_mismatch_and_the_holder_stays_masked(cert_app, hiring, issue):
    number = issue(hiring.learner.profile_id)
    data = f"{numbers.format_number(number)},张三\n".encode()

    _upload(hiring.employer_client, data)

    with cert_app.app_context():
        (row,) = get_session().scalars(select(BulkCheck)).one().results
    assert row["kind"] == "name_mismatch"
    assert row["holder_name"] == "欧**明"


def test_the_results_download_as_csv_with_formulas_neutralised(cert_app, hiring, every_kind):
    location = _upload(hiring.employer_client, every_kind["data"]).headers["Location"]
    english(hiring.employer_client)

    response = hiring.employer_client.get(location + ".csv")

    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Row", "As typed", "Answer"]
    assert len(rows) == 1001
    formula = next(row for row in rows if row[2].startswith("A formula"))
    assert formula[1].startswith("'=")


def test_gbk_and_utf16_files_from_excel_are_read(cert_app, hiring, issue):
    number = numbers.format_number(issue(hiring.learner.profile_id))
    gbk = f"证书编号,姓名\n{number},欧阳晓明\n".encode("gbk")
    utf16 = f"证书编号\t姓名\r\n{number}\t欧阳晓明\r\n".encode("utf-16")

    for data in (gbk, utf16):
        upload = bulk.read_upload("riders.csv", data)
        assert [(row.number, row.name) for row in upload.rows] == [(number, "欧阳晓明")]
    assert bulk.read_upload("a.csv", gbk).encoding == "gbk"
    assert bulk.read_upload("a.txt", utf16).encoding == "utf-16"


def test_an_unreadable_encoding_is_explained(hiring):
    english(hiring.employer_client)
    response = _upload(hiring.employer_client, b"\xff\xfe\x00\xd8" * 3 + b"\x81\x20\xfe\xff\x80")
    assert response.status_code == 400


def _workbook(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_is_read_and_its_formulas_never_run(cert_app, hiring, issue):
    number = numbers.format_number(issue(hiring.learner.profile_id))
    data = _workbook([["证书编号", "姓名"], [number, "欧阳晓明"], [None, None], ["=A2", None]])

    response = _upload(hiring.employer_client, data, "riders.xlsx")

    assert response.status_code == 302
    with cert_app.app_context():
        kinds = [r["kind"] for r in get_session().scalars(select(BulkCheck)).one().results]
    assert kinds == ["valid", "formula"]


def test_a_zip_bomb_is_refused_before_anything_is_decompressed(cert_app, hiring):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (bulk.MAX_XLSX_EXPANDED_BYTES + 1))
    data = out.getvalue()
    assert len(data) < bulk.MAX_UPLOAD_BYTES
    english(hiring.employer_client)

    response = _upload(hiring.employer_client, data, "bomb.xlsx")

    assert response.status_code == 413
    assert "expands" in response.get_data(as_text=True)
    with cert_app.app_context():
        assert get_session().scalars(select(BulkCheck)).all() == []
        assert get_session().scalars(select(BulkCheckUsage)).all() == []


@pytest.mark.parametrize(
    ("data", "filename", "status"),
    [
        (b"", "empty.csv", 400),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "photo.png", 400),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 50, "old.xls", 400),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", 400),
        (b"\n\n,\n", "blank.csv", 400),
        (b"x" * (bulk.MAX_UPLOAD_BYTES + 1), "huge.csv", 413),
        ("\n".join(["LMS"] * 1002).encode(), "long.csv", 413),
    ],
)
def test_bad_files_are_refused_clearly_and_nothing_is_kept(
    cert_app, hiring, data, filename, status
):
    response = _upload(hiring.employer_client, data, filename)

    assert response.status_code == status
    with cert_app.app_context():
        assert get_session().scalars(select(BulkCheck)).all() == []
        assert get_session().scalars(select(BulkCheckUsage)).all() == []


def test_the_daily_budget_refuses_a_file_that_would_exceed_it(cert_app, hiring):
    cert_app.config["LMS_EMPLOYER_BULK_ROWS_PER_DAY"] = 5
    three = "\n".join(numbers.new_certificate_number() for _ in range(3)).encode()
    english(hiring.employer_client)

    first = _upload(hiring.employer_client, three)
    second = _upload(hiring.employer_client, three)

    assert first.status_code == 302
    assert second.status_code == 429
    assert "2 of 5 rows left" in second.get_data(as_text=True)
    with cert_app.app_context():
        assert get_session().scalars(select(BulkCheckUsage.rows)).one() == 3
        assert len(get_session().scalars(select(BulkCheck)).all()) == 1


def test_budgets_are_per_organisation(cert_app, hiring, cert_people):
    from lms.accounts.models import Role
    from tests.employers.conftest import signed_in

    cert_app.config["LMS_EMPLOYER_BULK_ROWS_PER_DAY"] = 3
    rival = cert_people.make(Role.EMPLOYER, name="赵经理", organisation="另一家物流公司")
    three = "\n".join(numbers.new_certificate_number() for _ in range(3)).encode()

    assert _upload(hiring.employer_client, three).status_code == 302
    assert _upload(signed_in(cert_app, rival.phone), three).status_code == 302
    assert _upload(hiring.employer_client, three).status_code == 429


def test_another_organisations_bulk_check_does_not_exist(cert_app, hiring, cert_people):
    from lms.accounts.models import Role
    from tests.employers.conftest import signed_in

    location = _upload(hiring.employer_client, numbers.new_certificate_number().encode())
    rival = signed_in(
        cert_app, cert_people.make(Role.EMPLOYER, name="赵经理", organisation="另一家").phone
    )

    assert rival.get(location.headers["Location"]).status_code == 404
    assert rival.get(location.headers["Location"] + ".csv").status_code == 404


def test_a_utf16_file_cut_short_is_refused_without_a_database():
    with pytest.raises(EmployerError):
        bulk.read_upload("x.csv", "\n".join(["a"] * 5).encode("utf-16-le")[:-1])
