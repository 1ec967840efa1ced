"""What a verifier learns from a typed number, a name, a QR token or an
uploaded PDF, masked unless they prove they know the holder."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from lms.certificates import keys, numbers, pades, tokens
from lms.certificates.access import certificate_by_number, is_share_key
from lms.certificates.errors import CertificateError
from lms.certificates.issuing import (
    NATIONAL_LEVELS,
    REVOCATION_LABELS,
    token_fields,
    verify_url,
)
from lms.certificates.models import Certificate, CertificateStatus
from lms.i18n import _l
from lms.state import get_session

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
TOKEN_OK = "valid"  # noqa: S105 - a verification outcome, not a secret
NAME_MATCHES = "matches"


class VerificationState(enum.StrEnum):
    """The answer about a typed number, before any detail of the certificate."""

    MALFORMED = "malformed"
    MISTYPED = "mistyped"
    NOT_FOUND = "not_found"
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


def mask_name(name: str) -> str:
    """张*明 style: first and last character kept (Latin names: initials)."""
    name = name.strip()
    if " " in name:
        return " ".join(word[:1] + "*" * (len(word) - 1) for word in name.split())
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _same_name(a: str, b: str) -> bool:
    def fold(text: str) -> str:
        return "".join(unicodedata.normalize("NFKC", text).split()).casefold()

    return bool(a.strip()) and fold(a) == fold(b)


@dataclass
class Verification:
    """What a verifier may learn about a typed number (with name or token)."""

    state: VerificationState
    number: str | None = None
    certificate: Certificate | None = None
    #: True when the name given matches or the token is genuine: show everything.
    full: bool = False
    name_given: bool = False
    #: the name given is the holder's (then ``full`` is True as well)
    name_matches: bool = False
    #: None: no token given; else "valid" or the token error's code
    token_status: str | None = None
    message_key: str | None = None

    @property
    def found(self) -> bool:
        return self.certificate is not None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (documented in openapi.yaml); masked unless ``full``."""
        data: dict[str, Any] = {
            "state": self.state.value,
            "number": self.number,
            # A wrong guess reads like no name at all: no bare yes/no oracle.
            "name_check": NAME_MATCHES if self.name_matches else None,
            "token": self.token_status,
        }
        cert = self.certificate
        if cert is None:
            data["certificate"] = None
            return data
        data["certificate"] = {
            "number": numbers.format_number(cert.number),
            "kind": cert.kind.value,
            "status": cert.status.value,
            "holder_name": cert.holder_name if self.full else mask_name(cert.holder_name),
            "holder_name_masked": not self.full,
            "masked_id_number": cert.masked_id_number if self.full else None,
            "title": cert.title,
            "track": cert.track_title or None,
            "level": cert.level,
            "level_modelled_on": NATIONAL_LEVELS.get(cert.level or 0),
            "hours": cert.hours,
            "issued_on": cert.issued_on.isoformat(),
            "expires_on": cert.expires_on.isoformat() if cert.expires_on else None,
            "issuer": cert.issuer_name,
            "key_id": cert.key_id,
            "revoked_at": cert.revoked_at.isoformat() if cert.revoked_at else None,
            "revocation_category": cert.revocation_category.value
            if cert.revocation_category
            else None,
            "revocation_label": str(REVOCATION_LABELS[cert.revocation_category])
            if cert.revocation_category
            else None,
            "superseded_by": numbers.format_number(cert.superseded_by)
            if cert.superseded_by
            else None,
            "verify_url": verify_url(cert.number),
        }
        return data


def _state_of(certificate: Certificate, today: dt.date) -> VerificationState:
    if certificate.status is CertificateStatus.REVOKED:
        return VerificationState.REVOKED
    if certificate.status is CertificateStatus.SUPERSEDED:
        return VerificationState.SUPERSEDED
    if certificate.expires_on is not None and today > certificate.expires_on:
        return VerificationState.EXPIRED
    return VerificationState.VALID


def verify_certificate(
    number_text: str,
    holder_name: str | None = None,
    token: str | None = None,
    today: dt.date | None = None,
    share_key: str | None = None,
) -> Verification:
    """Check a typed number (mistypes caught before any lookup), then its status.

    A genuine token, the holder's name or the share link's key shows the full record.
    """
    check = numbers.check_number(number_text or "")
    if not check.ok:
        state = (
            VerificationState.MISTYPED
            if check.status is numbers.NumberStatus.MISTYPED
            else VerificationState.MALFORMED
        )
        return Verification(state, message_key=check.message_key)
    certificate = certificate_by_number(check.compact or "")
    if certificate is None:
        return Verification(VerificationState.NOT_FOUND, number=check.number)
    result = Verification(
        _state_of(certificate, today or dt.date.today()),
        number=check.number,
        certificate=certificate,
    )
    if holder_name and holder_name.strip():
        result.name_given = True
        result.name_matches = _same_name(holder_name, certificate.holder_name)
    if token:
        result.token_status = _token_status(token, certificate)
    elif share_key is not None:
        result.token_status = TOKEN_OK if is_share_key(certificate, share_key) else "bad_key"
    result.full = result.name_matches or result.token_status == TOKEN_OK
    return result


#: numbers looked up per query in the batch checks (well under every database's bind limit)
BATCH_SIZE = 500


def verify_certificates(
    items: Sequence[tuple[str, str | None]], today: dt.date | None = None
) -> list[Verification]:
    """Check many typed numbers, each with an optional holder name, as
    :func:`verify_certificate` would, with one lookup per :data:`BATCH_SIZE` numbers.

    An employer's bulk check and API: masked unless the name given matches.
    """
    today = today or dt.date.today()
    checks = [numbers.check_number(text or "") for text, _name in items]
    wanted = sorted({c.compact for c in checks if c.ok and c.compact})
    found: dict[str, Certificate] = {}
    session = get_session()
    for start in range(0, len(wanted), BATCH_SIZE):
        chunk = wanted[start : start + BATCH_SIZE]
        for certificate in session.scalars(
            select(Certificate).where(Certificate.number.in_(chunk))
        ):
            found[certificate.number] = certificate
    results = []
    for check, (_text, name) in zip(checks, items, strict=True):
        if not check.ok:
            state = (
                VerificationState.MISTYPED
                if check.status is numbers.NumberStatus.MISTYPED
                else VerificationState.MALFORMED
            )
            results.append(Verification(state, message_key=check.message_key))
            continue
        certificate = found.get(check.compact or "")
        if certificate is None:
            results.append(Verification(VerificationState.NOT_FOUND, number=check.number))
            continue
        result = Verification(
            _state_of(certificate, today), number=check.number, certificate=certificate
        )
        if name and name.strip():
            result.name_given = True
            result.name_matches = _same_name(name, certificate.holder_name)
        result.full = result.name_matches
        results.append(result)
    return results


def shared_records(
    certificate_ids: Iterable[int], today: dt.date | None = None
) -> dict[int, Verification]:
    """The full record and current state of certificates their holders shared
    (the holder's consent is the caller's rule), by certificate id."""
    today = today or dt.date.today()
    ids = sorted(set(certificate_ids))
    records: dict[int, Verification] = {}
    session = get_session()
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start : start + BATCH_SIZE]
        for certificate in session.scalars(select(Certificate).where(Certificate.id.in_(chunk))):
            records[certificate.id] = Verification(
                _state_of(certificate, today),
                number=numbers.format_number(certificate.number),
                certificate=certificate,
                full=True,
            )
    return records


def _token_status(token: str, certificate: Certificate) -> str:
    if tokens.is_jws(token):
        return _credential_status(token, certificate)
    try:
        fields = tokens.verify_token(token, keys.public_keys())
    except tokens.TokenError as error:
        return error.code
    # A genuine token of another certificate proves nothing about this one.
    if fields.get(tokens.FIELD_NUMBER) != numbers.format_number(certificate.number):
        return "other_certificate"
    if fields != token_fields(certificate) and token != certificate.token:
        return "mismatch"
    return TOKEN_OK


def _credential_status(token: str, certificate: Certificate) -> str:
    try:
        _header, credential = tokens.verify_jws(token, keys.public_keys())
    except tokens.TokenError as error:
        return error.code
    fields = tokens.credential_fields(credential)
    if fields.get(tokens.FIELD_NUMBER) != certificate.number:
        return "other_certificate"
    # Each certificate has exactly one credential; a different genuine one
    # (say, of a certificate since re-issued) does not describe it.
    return TOKEN_OK if token.strip() == certificate.token else "mismatch"


@dataclass
class PdfCheck:
    """Outcome of checking an uploaded PDF: its signature, and the certificate it is."""

    matches: bool
    sha256: str
    verification: Verification | None = None
    signature: pades.SignatureCheck | None = None


def looks_like_pdf(data: bytes) -> bool:
    """A PDF starts with ``%PDF-`` (within its first KB, as readers allow)."""
    return b"%PDF-" in data[:1024]


def _by_digest(digest: str | None) -> Certificate | None:
    if digest is None:
        return None
    return get_session().scalar(select(Certificate).where(Certificate.pdf_sha256 == digest))


def check_uploaded_pdf(data: bytes) -> PdfCheck:
    """Whether the PDF's signed revision is one we issued, unchanged, and that certificate's
    status.

    A copy that only appended to the signed file (a reader's annotations, a
    re-save by an app that writes incremental updates) still is; a PDF issued
    before PDFs were signed is recognised by its exact bytes.
    """
    if not data:
        raise CertificateError(_l("Choose a PDF file to check."))
    if len(data) > MAX_UPLOAD_BYTES:
        raise CertificateError(_l("The file is too large."))
    if not looks_like_pdf(data):
        raise CertificateError(_l("This file is not a PDF."))
    digest = hashlib.sha256(data).hexdigest()
    signature = pades.check_signature(data, pades.signing_identity())
    certificate = _by_digest(digest)
    if certificate is None and signature.outcome == "unchanged":
        certificate = _by_digest(signature.signed_sha256)
    if certificate is None:
        return PdfCheck(False, digest, signature=signature)
    verification = Verification(
        _state_of(certificate, dt.date.today()),
        number=numbers.format_number(certificate.number),
        certificate=certificate,
        # Whoever holds the PDF we signed has seen the full record already.
        full=True,
    )
    return PdfCheck(True, digest, verification, signature)
