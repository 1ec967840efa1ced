"""Signing credentials as VC-JOSE JWTs, and each organisation's revocation status list.

A certificate's credential (built in ``issuing.credential_for``) is signed here
with joserfc as a compact JWS: ``alg`` EdDSA with the issuer's Ed25519 key,
``typ`` ``vc+jwt``, ``kid`` naming the key in ``/.well-known/jwks.json`` and
``jku`` that JWKS's address. Any JOSE library verifies it against the JWKS.

Revocation is published as a W3C Bitstring Status List, one per organisation,
stored signed in the database so every process serves the same list; it is
rebuilt inside the transaction that revokes, so it is never older than the
last committed revocation.
"""

from __future__ import annotations

import base64
import gzip
import json
import warnings
from collections.abc import Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.certificates import keys
from lms.certificates.models import Certificate, CertificateStatus, CertificateStatusList
from lms.config import config_value
from lms.db import utcnow
from lms.state import get_session, get_state

#: The W3C Verifiable Credentials 2.0 context, then Open Badges 3.0's.
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
CREDENTIAL_TYPE = "vc+jwt"
ALGORITHM = "EdDSA"
#: The Bitstring Status List specification's minimum length (16 KB uncompressed),
#: which keeps one certificate's entry from standing out.
STATUS_LIST_STEP = 131072
STATUS_PURPOSE = "revocation"
#: What sets a certificate's bit: it is no longer valid, whichever way it ended.
ENDED = (CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED)

# RFC 9864 prefers the name "Ed25519" for the same algorithm; "EdDSA" is what
# wallets, PyJWT and jwcrypto verify today, so we keep it and the warning quiet.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)


def site_url(path: str) -> str:
    """An absolute public URL of one of our pages (LMS_PUBLIC_URL and the LMS prefix)."""
    base = str(config_value("LMS_PUBLIC_URL") or "").rstrip("/")
    return f"{base}{get_state().url_prefix}{path}"


def jwks_url() -> str:
    """Where the issuer publishes its public keys."""
    return site_url("/.well-known/jwks.json")


def issuer_profile() -> dict[str, Any]:
    """The Open Badges issuer Profile: who signs, and where its site is."""
    base = str(config_value("LMS_PUBLIC_URL") or "").rstrip("/") + get_state().url_prefix
    return {
        "id": f"{base}/",
        "type": ["Profile"],
        "name": str(config_value("LMS_ISSUER_NAME") or ""),
        "url": f"{base}/",
    }


def status_list_url(status_list_id: int) -> str:
    """The stable address of a status list."""
    return site_url(f"/credentials/status/{status_list_id}.jwt")


def _signing_key() -> tuple[OKPKey, str]:
    signing = keys.signing_key()
    return OKPKey.import_key(signing.private_key), signing.kid


def sign_credential(credential: Mapping[str, Any]) -> str:
    """The credential secured as a VC-JOSE compact JWS (EdDSA, ``typ`` ``vc+jwt``)."""
    key, kid = _signing_key()
    header = {"alg": ALGORITHM, "kid": kid, "typ": CREDENTIAL_TYPE, "jku": jwks_url()}
    payload = json.dumps(credential, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return jws.serialize_compact(header, payload.encode("utf-8"), key, algorithms=[ALGORITHM])


def credential_payload(token: str) -> dict[str, Any]:
    """The credential inside one of our signed JWTs (we signed it: not verified here)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def credential_document(token: str) -> dict[str, Any]:
    """The JSON download: the credential with its JWT attached as the proof."""
    document = credential_payload(token)
    document["proof"] = {"type": "JwtProof2020", "jwt": token}
    return document


# ---------------------------------------------------------------- status lists


def _status_list_of(organisation_id: int) -> CertificateStatusList:
    session = get_session()
    of_organisation = CertificateStatusList.organisation_id == organisation_id
    found = session.scalar(select(CertificateStatusList).where(of_organisation))
    if found is not None:
        return found
    savepoint = session.begin_nested()
    try:
        created = CertificateStatusList(organisation_id=organisation_id)
        session.add(created)
        session.flush()
    except IntegrityError:
        # Another process created it first: use theirs.
        savepoint.rollback()
        return session.scalars(select(CertificateStatusList).where(of_organisation)).one()
    savepoint.commit()
    return created


def allocate_status_entry(organisation_id: int) -> tuple[CertificateStatusList, int]:
    """A fresh (list, index) for a certificate of the organisation, never handed out twice."""
    status_list = _status_list_of(organisation_id)
    session = get_session()
    # One guarded UPDATE ... RETURNING: the database hands out the index, so
    # two processes issuing at once cannot both take it.
    index = session.execute(
        update(CertificateStatusList)
        .where(CertificateStatusList.id == status_list.id)
        .values(next_index=CertificateStatusList.next_index + 1)
        .returning(CertificateStatusList.next_index)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.refresh(status_list)
    return status_list, index - 1


def _encoded_list(indexes: list[int], size: int) -> str:
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


def status_list_credential(status_list: CertificateStatusList, indexes: list[int]) -> dict:
    """The BitstringStatusListCredential of a list with the given bits set."""
    url = status_list_url(status_list.id)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_profile(),
        "validFrom": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": _encoded_list(indexes, status_list.size),
        },
    }


def refresh_status_list(status_list_id: int) -> CertificateStatusList:
    """Rebuild and re-sign a status list from the certificates' statuses now."""
    session = get_session()
    session.flush()
    # The UPDATE locks the row until commit: a concurrent revocation waits and
    # then reads this one's bit too, so neither rebuild drops the other's.
    session.execute(
        update(CertificateStatusList)
        .where(CertificateStatusList.id == status_list_id)
        .values(revision=CertificateStatusList.revision + 1)
        .execution_options(synchronize_session=False)
    )
    status_list = session.get(CertificateStatusList, status_list_id)
    assert status_list is not None  # noqa: S101 - the UPDATE above found it
    session.refresh(status_list)
    indexes = list(
        session.scalars(
            select(Certificate.status_index).where(
                Certificate.status_list_id == status_list_id,
                Certificate.status.in_(ENDED),
                Certificate.status_index.is_not(None),
            )
        )
    )
    highest = max([status_list.next_index, *[i + 1 for i in indexes]])
    status_list.size = max(status_list.size, -(-highest // STATUS_LIST_STEP) * STATUS_LIST_STEP)
    status_list.credential = sign_credential(status_list_credential(status_list, indexes))
    status_list.updated_at = utcnow()
    session.flush()
    return status_list


def status_list_token(status_list_id: int) -> str | None:
    """The signed status list as served, building it the first time; None if no such list."""
    status_list = get_session().get(CertificateStatusList, status_list_id)
    if status_list is None:
        return None
    if status_list.credential is None:
        refresh_status_list(status_list.id)
    return status_list.credential


def refresh_all_status_lists() -> int:
    """Re-sign every status list (after a key rotation); how many there were."""
    ids = list(get_session().scalars(select(CertificateStatusList.id)))
    for status_list_id in ids:
        refresh_status_list(status_list_id)
    return len(ids)
