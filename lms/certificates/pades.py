"""PAdES signatures on certificate PDFs, made and checked with pyHanko.

Every PDF is signed with an X.509 certificate whose key the deployment holds,
so any PDF reader (and ``pdfsig``) shows who issued it and whether it changed.

Configuration (read with ``config_value``):

* ``LMS_PDF_SIGNING_FILE``: a PEM file holding the signing key (PKCS#8,
  unencrypted), then the signing certificate, then the CA certificates above it
  up to the root: the organisation's own CA in production.

Without it, debug, testing and the standalone default generate a local issuer
CA and a signing certificate once into ``<instance>/certificate-pdf-signing.pem``
(and log that they did); every process of the deployment reads that same file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask, current_app

from lms.certificates.keys import SigningKeyMissing, may_generate
from lms.config import config_value

T = TypeVar("T")

LOGGER = logging.getLogger(__name__)
GENERATED_FILE = "certificate-pdf-signing.pem"
FIELD_NAME = "LMSCertificateSignature"
#: CMS bytes reserved in the PDF: an ECDSA signature with a two-certificate chain
#: needs about 1.6 KB; pyHanko fails loudly rather than truncate if it ever grows.
SIGNATURE_BYTES = 4096


@dataclass(frozen=True)
class PdfSigningIdentity:
    """The key, the signing certificate and its CA chain (root last)."""

    key: asn1_keys.PrivateKeyInfo
    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]

    @property
    def roots(self) -> list[asn1_x509.Certificate]:
        """The trust anchors an upload is checked against: the top of our chain."""
        return [self.chain[-1]] if self.chain else [self.certificate]

    @property
    def signer_name(self) -> str:
        """The signing certificate's common name, as readers show it."""
        return _common_name(self.certificate)


def _common_name(certificate: asn1_x509.Certificate) -> str:
    names = certificate.subject.native
    return str(names.get("common_name") or names.get("organization_name") or "")


def _fit(text: str, limit: int = 64) -> str:
    # X.509 caps these names at 64 (counted in UTF-8 bytes by cryptography).
    text = text.strip() or "LMS"
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text.strip()


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
        ]
    )


def generate_identity_pem(issuer_name: str, now: dt.datetime | None = None) -> bytes:
    """A local issuer CA and a signing certificate it issued, as one PEM file."""
    now = now or dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"Local CA {issuer_name}", issuer_name)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(issuer_name, issuer_name))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * 10))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return b"".join(
        [
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            certificate.public_bytes(serialization.Encoding.PEM),
            ca.public_bytes(serialization.Encoding.PEM),
        ]
    )


def identity_from_pem(data: bytes) -> PdfSigningIdentity:
    """Read a key, its certificate and the CA chain from one PEM file; ValueError if not."""
    key = None
    certificates = []
    for kind, _headers, der in pem.unarmor(data, multiple=True):
        if kind == "PRIVATE KEY":
            key = asn1_keys.PrivateKeyInfo.load(der)
        elif kind == "CERTIFICATE":
            certificates.append(asn1_x509.Certificate.load(der))
        else:
            raise ValueError(f"PDF signing file holds a {kind!r}; use PKCS#8 PRIVATE KEY")
    if key is None or not certificates:
        raise ValueError("PDF signing file needs a PRIVATE KEY and at least one CERTIFICATE")
    return PdfSigningIdentity(key, certificates[0], tuple(certificates[1:]))


def _generate_into(path: Path, issuer_name: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = generate_identity_pem(issuer_name)
    # O_EXCL: processes starting together must not write two different CAs.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    LOGGER.warning(
        "generated a local issuer CA and PDF signing certificate in %s; readers will "
        "show PDFs as signed by %r but not trusted: set LMS_PDF_SIGNING_FILE to use "
        "your organisation's CA",
        path,
        issuer_name,
    )


def signing_identity(app: Flask | None = None) -> PdfSigningIdentity:
    """The configured PDF signing identity (cached per app), generated locally if allowed."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.setdefault("lms_certificate_keys", {})
    if "pdf" in cache:
        return cache["pdf"]
    configured = config_value("LMS_PDF_SIGNING_FILE", app)
    if configured:
        path = Path(configured)
    else:
        path = Path(app.instance_path) / GENERATED_FILE
        if not path.exists():
            if not may_generate(app):
                raise SigningKeyMissing("Set LMS_PDF_SIGNING_FILE to sign certificate PDFs.")
            _generate_into(path, str(config_value("LMS_ISSUER_NAME", app) or "LMS"))
    identity = identity_from_pem(path.read_bytes())
    cache["pdf"] = identity
    return identity


def _outside_event_loop(work: Callable[[], T]) -> T:
    """Run ``work`` where ``asyncio.run`` is allowed.

    pyHanko's synchronous API starts an event loop of its own, which fails in a
    thread that already runs one (a host app under an async server, a test
    process that drove a browser); such a thread hands the work to another."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def sign_pdf(data: bytes, identity: PdfSigningIdentity, reason: str) -> bytes:
    """The PDF with a PAdES baseline signature appended as an incremental update."""
    return _outside_event_loop(lambda: _sign_pdf(data, identity, reason))


def _sign_pdf(data: bytes, identity: PdfSigningIdentity, reason: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signer = signers.SimpleSigner(
        signing_cert=identity.certificate,
        signing_key=identity.key,
        cert_registry=SimpleCertificateStore.from_certs(list(identity.chain)),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        name=identity.signer_name,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    pdf_signer = signers.PdfSigner(meta, signer=signer)
    out = pdf_signer.sign_pdf(writer, bytes_reserved=SIGNATURE_BYTES)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """What the signature of an uploaded PDF says."""

    #: "unchanged", "modified", "unsigned", "untrusted" or "unreadable"
    outcome: str
    signer: str | None = None
    signed_at: dt.datetime | None = None
    #: SHA-256 of the signed revision: the PDF as we issued it
    signed_sha256: str | None = None


def check_signature(data: bytes, identity: PdfSigningIdentity) -> SignatureCheck:
    """Validate the PDF's first signature against our CA, and find the signed revision."""
    return _outside_event_loop(lambda: _check_signature(data, identity))


def _check_signature(data: bytes, identity: PdfSigningIdentity) -> SignatureCheck:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        LOGGER.info("uploaded PDF cannot be read: %s", error)
        return SignatureCheck("unreadable")
    if not signatures:
        return SignatureCheck("unsigned")
    embedded = signatures[0]
    try:
        status = validate_pdf_signature(
            embedded, ValidationContext(trust_roots=identity.roots, allow_fetching=False)
        )
    except Exception as error:
        # Whatever a broken signature makes the validator raise, it is "modified", never a 500.
        LOGGER.info("uploaded PDF's signature cannot be validated: %s", error)
        return SignatureCheck("modified")
    signer = _common_name(status.signing_cert)
    signed_at = status.signer_reported_dt
    if not status.intact or not status.valid:
        return SignatureCheck("modified", signer, signed_at)
    if not status.trusted:
        return SignatureCheck("untrusted", signer, signed_at)
    # /ByteRange [0 a b c]: the signed revision ends where its second range ends.
    _start, _length, offset, tail = (int(n) for n in embedded.sig_object["/ByteRange"])
    revision = data[: offset + tail]
    return SignatureCheck("unchanged", signer, signed_at, hashlib.sha256(revision).hexdigest())
