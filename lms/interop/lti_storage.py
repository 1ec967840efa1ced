"""pylti1p3 reads its registrations, and keeps its OIDC state, nonces and launch
data, through the database here: every app process sees the same values, and
nothing depends on a cookie a third-party iframe may not keep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pylti1p3.cookie import CookieService
from pylti1p3.deployment import Deployment
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from lms.db import utcnow
from lms.interop.lti_models import LtiDeployment, LtiPlatform, LtiStoredValue, LtiToolKey
from lms.state import get_session

CURRENT_KEY = "current"
#: Seconds a value lives when pylti1p3 gives no lifetime (its launch data).
DEFAULT_LIFETIME = 3600


def tool_key() -> LtiToolKey:
    """The tool's RSA key, generated on first use and kept for every process."""
    session = get_session()
    found = session.scalar(select(LtiToolKey).where(LtiToolKey.slot == CURRENT_KEY))
    if found is not None:
        return found
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key = LtiToolKey(
        slot=CURRENT_KEY,
        kid=str(Registration.get_jwk(public_pem)["kid"]),
        private_pem=private_pem,
        public_pem=public_pem,
    )
    session.add(key)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Another process generated it first: every process signs with that one.
        return session.scalars(select(LtiToolKey).where(LtiToolKey.slot == CURRENT_KEY)).one()
    return key


def tool_jwks() -> dict[str, Any]:
    """The tool's public key set, as platforms fetch it from ``/lti/jwks.json``."""
    return {"keys": [dict(Registration.get_jwk(tool_key().public_pem))]}


class DatabaseLaunchStorage(LaunchDataStorage[Any]):
    """Launch data storage in ``lms_lti_stored_value``.

    Values are not namespaced by a browser cookie (pylti1p3's session id): the
    keys are random state and nonce values, and the state and nonce are
    consumed once (``consume``), so a replayed launch is refused.
    """

    def get_session_cookie_name(self) -> str | None:
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def _row(self, key: str) -> LtiStoredValue | None:
        row = get_session().scalar(
            select(LtiStoredValue).where(LtiStoredValue.key == self._prepare_key(key)[:255])
        )
        if row is None or row.expires_at <= utcnow():
            return None
        return row

    def get_value(self, key: str) -> Any:
        row = self._row(key)
        return None if row is None else row.value.get("v")

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        session = get_session()
        full_key = self._prepare_key(key)[:255]
        expires_at = utcnow() + timedelta(seconds=exp or DEFAULT_LIFETIME)
        row = session.scalar(select(LtiStoredValue).where(LtiStoredValue.key == full_key))
        if row is None:
            session.add(LtiStoredValue(key=full_key, value={"v": value}, expires_at=expires_at))
        else:
            row.value = {"v": value}
            row.expires_at = expires_at
        session.flush()

    def check_value(self, key: str) -> bool:
        return self._row(key) is not None

    def purge_expired(self) -> None:
        """Forget the values whose time is up (a login's abandoned state, old launches)."""
        get_session().execute(delete(LtiStoredValue).where(LtiStoredValue.expires_at <= utcnow()))

    def consume(self, key: str) -> bool:
        """Remove a live value; True only for the one caller that removed it.

        A guarded DELETE: of two launches replaying one state at once, the
        second waits for the first's row lock and then deletes nothing.
        """
        result = get_session().execute(
            delete(LtiStoredValue).where(
                LtiStoredValue.key == self._prepare_key(key)[:255],
                LtiStoredValue.expires_at > utcnow(),
            )
        )
        return bool(result.rowcount)


class DatabaseCookieService(CookieService):
    """pylti1p3's OIDC "state cookie", kept server-side: browsers in a platform's
    iframe often refuse third-party cookies, so the state lives in the database
    (random, short-lived, consumed by the launch) instead."""

    def __init__(self, storage: DatabaseLaunchStorage) -> None:
        self.storage = storage

    def get_cookie(self, name: str) -> str | None:
        return self.storage.get_value("cookie-" + name)

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.storage.set_value("cookie-" + name, value, exp)


def platform_for(issuer: str | None, client_id: str | None) -> LtiPlatform | None:
    """The registered platform of this issuer and client id."""
    if not issuer:
        return None
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    platforms = list(get_session().scalars(query.limit(2)))
    # Without a client id the issuer must name one registration, never a guess.
    return platforms[0] if len(platforms) == 1 else None


def registration_of(platform: LtiPlatform) -> Registration:
    """pylti1p3's view of one platform, signing with the tool's key."""
    key = tool_key()
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_key_set_url(platform.key_set_url)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_tool_private_key(key.private_pem)
        .set_tool_public_key(key.public_pem)
    )


class DatabaseToolConf(ToolConfAbstract[Any]):
    """The registered platforms, read from the database on each launch."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        # Several registrations may share an issuer (one per organisation).
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Any:
        platform = platform_for(iss, None)
        return registration_of(platform) if platform else None

    def find_registration_by_params(
        self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Any:
        platform = platform_for(iss, client_id)
        return registration_of(platform) if platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = platform_for(iss, client_id)
        if platform is None or not deployment_id:
            return None
        known = get_session().scalar(
            select(LtiDeployment.id).where(
                LtiDeployment.platform_id == platform.id,
                LtiDeployment.deployment_id == deployment_id,
            )
        )
        return Deployment().set_deployment_id(deployment_id) if known else None
