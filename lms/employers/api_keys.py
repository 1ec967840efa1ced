"""API keys for HR systems: created by an employer's people, shown once, kept
only as a SHA-256, with a label, a scope and the time last used."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select, update

from lms.accounts.models import Profile
from lms.db import utcnow
from lms.employers.models import ApiKey, ApiScope
from lms.employers.services import EmployerError, employer_organisation_id
from lms.i18n import _l
from lms.state import get_session

KEY_PREFIX = "lmsk_"
LABEL_MAX = 80
#: keys an organisation may have in force at once
KEYS_MAX = 20


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_api_key(
    employer: Profile, label: str, scope: str = ApiScope.VERIFY.value
) -> tuple[ApiKey, str]:
    """A new key of the employer's organisation and its secret, which is never stored."""
    organisation_id = employer_organisation_id(employer)
    label = " ".join((label or "").split())
    if not label or len(label) > LABEL_MAX:
        raise EmployerError(
            _l("Give the key a label of at most %(count)d characters.", count=LABEL_MAX)
        )
    try:
        chosen = ApiScope(scope)
    except ValueError:
        raise EmployerError(_l("Choose what the key may do from the list.")) from None
    session = get_session()
    in_force = list(
        session.scalars(
            select(ApiKey.id).where(
                ApiKey.organisation_id == organisation_id, ApiKey.revoked_at.is_(None)
            )
        )
    )
    if len(in_force) >= KEYS_MAX:
        raise EmployerError(
            _l("Your organisation has %(count)d keys already: revoke one first.", count=KEYS_MAX)
        )
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        organisation_id=organisation_id,
        label=label,
        scope=chosen,
        prefix=secret[:12],
        key_hash=_digest(secret),
        created_by_id=employer.id,
    )
    session.add(key)
    session.flush()
    return key, secret


def api_keys(employer: Profile) -> list[ApiKey]:
    """The organisation's keys, newest first (revoked ones too, for the record)."""
    organisation_id = employer_organisation_id(employer)
    return list(
        get_session().scalars(
            select(ApiKey)
            .where(ApiKey.organisation_id == organisation_id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def revoke_api_key(employer: Profile, key_id: int) -> ApiKey:
    """Stop a key at once; a key of another organisation does not exist here."""
    organisation_id = employer_organisation_id(employer)
    key = get_session().get(ApiKey, key_id)
    if key is None or key.organisation_id != organisation_id:
        raise EmployerError(_l("This API key does not exist."), 404)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        get_session().flush()
    return key


def key_from_header(authorization: str | None) -> ApiKey:
    """The key in force that an ``Authorization: Bearer ...`` header names, else 401."""
    scheme, _space, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        raise EmployerError(_l("Send your API key as the header Authorization: Bearer <key>."), 401)
    key = get_session().scalar(select(ApiKey).where(ApiKey.key_hash == _digest(secret)))
    if key is None or key.revoked_at is not None:
        raise EmployerError(_l("This API key is wrong or was revoked."), 401)
    return key


def mark_used(key: ApiKey) -> None:
    """Note when the key was last used."""
    get_session().execute(
        update(ApiKey)
        .where(ApiKey.id == key.id)
        .values(last_used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
