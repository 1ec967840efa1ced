"""Ed25519-signed compact certificate tokens and the JWKS that publishes their keys.

Token format, version 1 (URL-safe, no padding, fits a QR code)::

    v1.<kid>.<base64url(payload)>.<base64url(signature)>

* ``payload`` is :func:`canonical_payload` of the certificate fields: JSON with
  sorted keys, no whitespace, UTF-8 (not ASCII escapes), so the same fields
  always give the same bytes.
* ``signature`` is Ed25519 over the ASCII text ``v1.<kid>.<base64url(payload)>``,
  so the version and key id are covered too and cannot be swapped afterwards.
* ``kid`` names the signing key in the issuer's JWKS; by default it is the first
  16 characters of the key's RFC 7638 thumbprint (:func:`kid_for`).

The fields describe the certificate as issued and never its status: a signed
"valid" cannot be taken back, so revocation is only ever checked online.
Well-known fields are validated when signing and again when verifying:
``number`` (required), ``issued`` (required, ``YYYY-MM-DD``), ``expires``
(``YYYY-MM-DD`` or None, not before ``issued``), ``hours`` (number >= 0),
``verify_url`` (http(s) URL); ``holder``, ``kind``, ``track``, ``course``,
``level`` and ``issuer`` are free text.

Since issue 17 certificates carry a standard token instead: a VC-JOSE JWT
(compact JWS, ``alg`` EdDSA, ``typ`` ``vc+jwt``) whose payload is an Open
Badges 3.0 ``OpenBadgeCredential``. :func:`verify_jws` checks one against the
same JWKS, :func:`credential_fields` reads the certificate facts out of the
credential, and :func:`status_bit` reads a W3C Bitstring Status List. ``v1``
tokens keep verifying with :func:`verify_token`, read-only.

This module imports only the standard library and ``cryptography``: the offline
verifier loads it without the Flask application.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import math
import re
import zlib
from collections.abc import Mapping
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "FIELD_COURSE",
    "FIELD_EXPIRES",
    "FIELD_HOLDER",
    "FIELD_HOURS",
    "FIELD_ISSUED",
    "FIELD_ISSUER",
    "FIELD_KIND",
    "FIELD_LEVEL",
    "FIELD_NUMBER",
    "FIELD_TRACK",
    "FIELD_VERIFY_URL",
    "MAX_TOKEN_LENGTH",
    "TOKEN_VERSION",
    "BadSignature",
    "JWKSError",
    "MalformedToken",
    "TokenError",
    "UnknownKey",
    "canonical_payload",
    "expiry_date",
    "JWS_ALGORITHMS",
    "MAX_JWS_LENGTH",
    "credential_fields",
    "generate_key",
    "is_jws",
    "jws_header",
    "status_bit",
    "verify_jws",
    "is_expired",
    "jwk_thumbprint",
    "jwks",
    "kid_for",
    "load_private_key",
    "public_jwk",
    "public_keys_from_jwks",
    "sign_certificate",
    "token_kid",
    "verify_token",
]

TOKEN_VERSION = "v1"  # noqa: S105 - a format version, not a secret
#: Longer tokens are refused unread; real ones are a few hundred characters.
MAX_TOKEN_LENGTH = 4096
KID_LENGTH = 16
_SIGNATURE_LENGTH = 64
_PUBLIC_KEY_LENGTH = 32

FIELD_NUMBER = "number"
FIELD_HOLDER = "holder"
FIELD_KIND = "kind"
FIELD_TRACK = "track"
FIELD_COURSE = "course"
FIELD_LEVEL = "level"
FIELD_HOURS = "hours"
FIELD_ISSUED = "issued"
FIELD_EXPIRES = "expires"
FIELD_ISSUER = "issuer"
FIELD_VERIFY_URL = "verify_url"
_TEXT_FIELDS = (FIELD_HOLDER, FIELD_KIND, FIELD_TRACK, FIELD_COURSE, FIELD_ISSUER)
# A signed status could never be withdrawn, so it must not be signed at all.
_STATUS_FIELDS = ("status", "revoked", "revoked_at", "revocation", "valid")

_KID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_URL = re.compile(r"https?://[!-~]+")


class TokenError(ValueError):
    """A token that must not be trusted; ``code`` is a stable machine-readable reason."""

    code: ClassVar[str] = "invalid"


class MalformedToken(TokenError):
    """The text is not a well-formed v1 certificate token."""

    code = "malformed"


class UnknownKey(TokenError):
    """The token names a signing key that is not among the trusted keys."""

    code = "unknown_key"


class BadSignature(TokenError):
    """The signature does not match: the token was altered or signed by another key."""

    code = "bad_signature"


class JWKSError(ValueError):
    """A JWKS document that is not a valid set of Ed25519 public keys."""


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    # Only the one canonical spelling is accepted, so a token cannot be
    # re-encoded into a different string that still verifies.
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not unpadded base64url") from exc
    if _b64url_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data


def _check_json_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} has no JSON form")
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"{where}: text is not valid Unicode") from exc
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_value(item, f"{where}[{index}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where}: key {key!r} is not a string")
            _check_json_value(key, where)
            _check_json_value(item, f"{where}.{key}")
        return
    # Dates, tuples, sets, Decimals: converting them silently would make the
    # verified fields differ from the signed ones, so callers convert explicitly.
    raise TypeError(
        f"{where}: {type(value).__name__} is not a JSON value "
        "(use ISO strings for dates, lists for sequences)"
    )


def canonical_payload(fields: Mapping[str, Any]) -> bytes:
    """Deterministic JSON bytes of the fields: sorted keys, no spaces, UTF-8."""
    if not isinstance(fields, Mapping):
        raise TypeError("fields must be a mapping")
    _check_json_value(fields, "fields")
    text = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def _parse_date(value: Any, name: str) -> dt.date:
    # fromisoformat alone also takes 20250101 and week dates; one spelling only.
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{name} must be an ISO date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name} is not a real date: {value!r}") from exc


def _validate_fields(fields: Mapping[str, Any]) -> None:
    for name in _STATUS_FIELDS:
        if name in fields:
            raise ValueError(
                f"fields must not carry {name!r}: a signed status cannot be "
                "withdrawn; revocation is checked online"
            )
    number = fields.get(FIELD_NUMBER)
    if not isinstance(number, str) or not number.strip():
        raise ValueError(f"{FIELD_NUMBER!r} is required and must be non-empty text")
    if FIELD_ISSUED not in fields:
        raise ValueError(f"{FIELD_ISSUED!r} is required")
    issued = _parse_date(fields[FIELD_ISSUED], FIELD_ISSUED)
    expires = fields.get(FIELD_EXPIRES)
    if expires is not None and _parse_date(expires, FIELD_EXPIRES) < issued:
        raise ValueError(f"{FIELD_EXPIRES!r} is before {FIELD_ISSUED!r}")
    hours = fields.get(FIELD_HOURS)
    if hours is not None and (
        isinstance(hours, bool)
        or not isinstance(hours, int | float)
        or not math.isfinite(hours)
        or hours < 0
    ):
        raise ValueError(f"{FIELD_HOURS!r} must be a number >= 0, got {hours!r}")
    for name in _TEXT_FIELDS:
        value = fields.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{name!r} must be text, got {type(value).__name__}")
    level = fields.get(FIELD_LEVEL)
    if level is not None and (isinstance(level, bool) or not isinstance(level, str | int)):
        raise ValueError(f"{FIELD_LEVEL!r} must be text or an integer")
    url = fields.get(FIELD_VERIFY_URL)
    # Verifiers print this URL for people to visit: plain http(s), no spaces.
    if url is not None and (not isinstance(url, str) or not _URL.fullmatch(url)):
        raise ValueError(f"{FIELD_VERIFY_URL!r} must be an http(s) URL, got {url!r}")


def _check_kid(kid: Any) -> str:
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise ValueError("kid must be 1-64 characters of A-Z a-z 0-9 _ -")
    return kid


def sign_certificate(fields: Mapping[str, Any], private_key: Ed25519PrivateKey, kid: str) -> str:
    """Sign certificate fields into a compact ``v1.<kid>.<payload>.<signature>`` token."""
    if not isinstance(private_key, Ed25519PrivateKey):
        raise TypeError("private_key must be an Ed25519PrivateKey")
    _check_kid(kid)
    payload = canonical_payload(fields)
    _validate_fields(fields)
    signed_part = f"{TOKEN_VERSION}.{kid}.{_b64url_encode(payload)}"
    signature = private_key.sign(signed_part.encode("ascii"))
    token = f"{signed_part}.{_b64url_encode(signature)}"
    if len(token) > MAX_TOKEN_LENGTH:
        raise ValueError(
            f"token would be {len(token)} characters, over {MAX_TOKEN_LENGTH}; "
            "verifiers would refuse it"
        )
    return token


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _split(token: Any) -> tuple[str, str, bytes, bytes]:
    if not isinstance(token, str):
        raise MalformedToken(f"token must be text, not {type(token).__name__}")
    token = token.strip()
    if not token:
        raise MalformedToken("token is empty")
    if len(token) > MAX_TOKEN_LENGTH:
        raise MalformedToken(f"token is longer than {MAX_TOKEN_LENGTH} characters")
    if not token.isascii():
        raise MalformedToken("token contains non-ASCII characters")
    parts = token.split(".")
    if len(parts) != 4:
        raise MalformedToken(
            f"token must have 4 dot-separated parts, found {len(parts)} "
            "(was it cut off when copied?)"
        )
    version, kid, payload_text, signature_text = parts
    if version != TOKEN_VERSION:
        raise MalformedToken(f"unsupported token version {version[:16]!r}")
    if not _KID.fullmatch(kid):
        raise MalformedToken("token key id is not valid")
    try:
        payload = _b64url_decode(payload_text)
    except ValueError as exc:
        raise MalformedToken(f"token payload is not base64url: {exc}") from None
    try:
        signature = _b64url_decode(signature_text)
    except ValueError as exc:
        raise MalformedToken(f"token signature is not base64url: {exc}") from None
    if len(signature) != _SIGNATURE_LENGTH:
        raise MalformedToken(
            f"token signature has {len(signature)} bytes, expected "
            f"{_SIGNATURE_LENGTH} (was the token cut off?)"
        )
    return f"{version}.{kid}.{payload_text}", kid, payload, signature


def token_kid(token: str) -> str:
    """Key id named by a well-formed token (not verified); MalformedToken if none."""
    return _split(token)[1]


def verify_token(token: str, public_keys: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    """Verify a token against trusted keys by kid and return its fields.

    Raises :class:`MalformedToken`, :class:`UnknownKey` or :class:`BadSignature`.
    Expiry is not judged here (see :func:`is_expired`), nor revocation.
    """
    signed_part, kid, payload, signature = _split(token)
    key = public_keys.get(kid)
    if key is None:
        known = ", ".join(sorted(public_keys)) or "none"
        raise UnknownKey(
            f"token was signed with key {kid!r}, which is not a trusted key (trusted: {known})"
        )
    if not isinstance(key, Ed25519PublicKey):
        raise TypeError(f"trusted key {kid!r} is not an Ed25519PublicKey")
    try:
        key.verify(signature, signed_part.encode("ascii"))
    except InvalidSignature:
        raise BadSignature(
            f"signature does not match key {kid!r}: the token was altered "
            "or signed by a different key"
        ) from None
    # Only signed bytes reach the JSON parser, so its cost is the issuer's choice.
    try:
        fields = json.loads(
            payload.decode("utf-8"),
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
        )
        if not isinstance(fields, dict):
            raise ValueError("payload is not a JSON object")
        if canonical_payload(fields) != payload:
            raise ValueError("payload is not in canonical form")
        _validate_fields(fields)
    except (ValueError, TypeError, RecursionError) as exc:
        raise MalformedToken(f"token payload is not valid certificate data: {exc}") from None
    return fields


def expiry_date(fields: Mapping[str, Any]) -> dt.date | None:
    """The ``expires`` date of verified fields, or None if the certificate never expires."""
    value = fields.get(FIELD_EXPIRES)
    return None if value is None else _parse_date(value, FIELD_EXPIRES)


def is_expired(fields: Mapping[str, Any], today: dt.date | None = None) -> bool:
    """True once ``today`` is after ``expires`` (the expiry day itself is still valid)."""
    expires = expiry_date(fields)
    return expires is not None and (today or dt.date.today()) > expires


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    if not isinstance(public_key, Ed25519PublicKey):
        raise TypeError("public_key must be an Ed25519PublicKey")
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def jwk_thumbprint(public_key: Ed25519PublicKey) -> str:
    """Full RFC 7638 JWK thumbprint (base64url SHA-256) of an Ed25519 public key."""
    x = _b64url_encode(_raw_public_bytes(public_key))
    # RFC 7638: required members only, lexicographic order, no whitespace.
    members = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": x}, sort_keys=True, separators=(",", ":")
    )
    return _b64url_encode(hashlib.sha256(members.encode("ascii")).digest())


def kid_for(public_key: Ed25519PublicKey) -> str:
    """Default key id: the first 16 characters of the RFC 7638 thumbprint."""
    return jwk_thumbprint(public_key)[:KID_LENGTH]


def generate_key() -> tuple[str, str]:
    """A new Ed25519 signing key as (unencrypted PKCS#8 PEM text, kid)."""
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode("ascii"), kid_for(private_key.public_key())


def load_private_key(pem: str | bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM; ValueError if it is not one."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        # The library's message never includes key material, so it is safe to pass on.
        raise ValueError(f"cannot load private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"private key is {type(key).__name__}, not Ed25519")
    return key


def public_jwk(public_key: Ed25519PublicKey, kid: str) -> dict[str, str]:
    """The public JWK (RFC 8037 OKP/Ed25519) of a verification key."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url_encode(_raw_public_bytes(public_key)),
        "kid": _check_kid(kid),
        "use": "sig",
        "alg": "EdDSA",
    }


def jwks(public_keys: Mapping[str, Ed25519PublicKey]) -> dict[str, list[dict[str, str]]]:
    """A JWKS document ``{"keys": [...]}`` publishing the given keys by kid."""
    return {"keys": [public_jwk(key, kid) for kid, key in public_keys.items()]}


def _key_from_jwk(jwk: Any, where: str) -> tuple[str, Ed25519PublicKey]:
    if not isinstance(jwk, Mapping):
        raise JWKSError(f"{where} is not a JSON object")
    if "d" in jwk:
        raise JWKSError(f"{where} contains a private key part ('d'); publish public keys only")
    if jwk.get("kty") != "OKP":
        raise JWKSError(f"{where}: kty must be 'OKP' (Ed25519), got {jwk.get('kty')!r}")
    if jwk.get("crv") != "Ed25519":
        raise JWKSError(f"{where}: crv must be 'Ed25519', got {jwk.get('crv')!r}")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise JWKSError(f"{where}: kid must be 1-64 characters of A-Z a-z 0-9 _ -")
    if "use" in jwk and jwk["use"] != "sig":
        raise JWKSError(f"{where}: use must be 'sig', got {jwk['use']!r}")
    # RFC 9864 registers "Ed25519" as the fully specified name of the same algorithm.
    if "alg" in jwk and jwk["alg"] not in ("EdDSA", "Ed25519"):
        raise JWKSError(f"{where}: alg must be 'EdDSA', got {jwk['alg']!r}")
    if "key_ops" in jwk:
        ops = jwk["key_ops"]
        if not isinstance(ops, list) or "verify" not in ops:
            raise JWKSError(f"{where}: key_ops must be a list including 'verify'")
    x = jwk.get("x")
    try:
        if not isinstance(x, str):
            raise ValueError("missing")
        raw = _b64url_decode(x)
        if len(raw) != _PUBLIC_KEY_LENGTH:
            raise ValueError(f"{len(raw)} bytes, expected {_PUBLIC_KEY_LENGTH}")
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise JWKSError(f"{where}: x is not an Ed25519 public key ({exc})") from None
    return kid, key


def public_keys_from_jwks(doc: Mapping[str, Any] | str | bytes) -> dict[str, Ed25519PublicKey]:
    """Trusted keys by kid from a JWKS (parsed or JSON text); JWKSError if invalid."""
    if isinstance(doc, str | bytes):
        try:
            doc = json.loads(doc)
        except (ValueError, RecursionError) as exc:
            raise JWKSError(f"JWKS is not valid JSON: {exc}") from None
    if not isinstance(doc, Mapping):
        raise JWKSError("JWKS must be a JSON object with a 'keys' list")
    entries = doc.get("keys")
    if not isinstance(entries, list):
        raise JWKSError("JWKS must be a JSON object with a 'keys' list")
    if not entries:
        raise JWKSError("JWKS contains no keys")
    keys: dict[str, Ed25519PublicKey] = {}
    for index, jwk in enumerate(entries):
        kid, key = _key_from_jwk(jwk, f"key #{index + 1}")
        if kid in keys:
            raise JWKSError(f"key #{index + 1}: kid {kid!r} appears twice")
        keys[kid] = key
    return keys


# ---------------------------------------------------------------- standard tokens (JWS)

#: RFC 8037's name and RFC 9864's fully specified name of Ed25519 signatures.
JWS_ALGORITHMS = ("EdDSA", "Ed25519")
#: A credential with bilingual criteria is a few KB; a status list JWT less.
MAX_JWS_LENGTH = 32 * 1024
CREDENTIAL_TYPE = "vc+jwt"
#: Largest bitstring a status list may inflate to (a zip bomb stops here).
MAX_STATUS_LIST_BYTES = 1024 * 1024
# A JSON object's base64url always starts "eyJ" ('{"'): a cut v1 token never does.
_JWS = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_ACHIEVEMENT_KINDS = {"CertificateOfCompletion": "training", "Certificate": "level"}


def is_jws(token: Any) -> bool:
    """True when the text has the shape of a compact JWS (a JSON header, three parts)."""
    return isinstance(token, str) and bool(_JWS.fullmatch(token.strip()))


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError) as exc:
        raise MalformedToken(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise MalformedToken(f"{what} is not a JSON object")
    return value


def _split_jws(token: Any) -> tuple[str, dict[str, Any], bytes, bytes]:
    if not isinstance(token, str):
        raise MalformedToken(f"token must be text, not {type(token).__name__}")
    token = token.strip()
    if len(token) > MAX_JWS_LENGTH:
        raise MalformedToken(f"token is longer than {MAX_JWS_LENGTH} characters")
    if not is_jws(token):
        raise MalformedToken("token is not a compact JWS (three base64url parts)")
    header_text, payload_text, signature_text = token.split(".")
    try:
        header = _json_object(_b64url_decode(header_text), "JWS header")
        payload = _b64url_decode(payload_text)
        signature = _b64url_decode(signature_text)
    except ValueError as exc:
        raise MalformedToken(f"token is not base64url: {exc}") from None
    if len(signature) != _SIGNATURE_LENGTH:
        raise MalformedToken(
            f"token signature has {len(signature)} bytes, expected {_SIGNATURE_LENGTH}"
        )
    return f"{header_text}.{payload_text}", header, payload, signature


def jws_header(token: str) -> dict[str, Any]:
    """The protected header of a well-formed JWS (not verified); MalformedToken if none."""
    return _split_jws(token)[1]


def verify_jws(
    token: str,
    public_keys: Mapping[str, Ed25519PublicKey],
    types: tuple[str, ...] = (CREDENTIAL_TYPE,),
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a compact JWS signed with EdDSA by a key of the JWKS; (header, payload).

    Raises :class:`MalformedToken`, :class:`UnknownKey` or :class:`BadSignature`.
    """
    signed_part, header, payload, signature = _split_jws(token)
    if header.get("alg") not in JWS_ALGORITHMS:
        raise MalformedToken(f"JWS alg must be EdDSA, got {str(header.get('alg'))[:16]!r}")
    if "crit" in header:
        raise MalformedToken("JWS header marks extensions critical that this verifier lacks")
    if types and header.get("typ") not in types:
        raise MalformedToken(f"JWS typ must be one of {', '.join(types)}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise MalformedToken("JWS header has no valid kid")
    key = public_keys.get(kid)
    if key is None:
        known = ", ".join(sorted(public_keys)) or "none"
        raise UnknownKey(
            f"token was signed with key {kid!r}, which is not a trusted key (trusted: {known})"
        )
    try:
        key.verify(signature, signed_part.encode("ascii"))
    except InvalidSignature:
        raise BadSignature(
            f"signature does not match key {kid!r}: the credential was altered "
            "or signed by a different key"
        ) from None
    return header, _json_object(payload, "JWS payload")


def _iso_day(value: Any) -> str | None:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    return value[:10]


def credential_fields(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The certificate facts of an OpenBadgeCredential, in the v1 token's field names.

    ``status`` is the ``credentialStatus`` entry (or None): where to look up revocation.
    """
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    achievement = subject.get("achievement")
    achievement = achievement if isinstance(achievement, Mapping) else {}
    issuer = credential.get("issuer")
    holder = None
    for entry in subject.get("identifier") or []:
        if isinstance(entry, Mapping) and entry.get("identityType") == "name":
            if not entry.get("hashed"):
                holder = entry.get("identityHash")
    url = credential.get("id")
    number = url.rstrip("/").rsplit("/", 1)[-1] if isinstance(url, str) else None
    status = credential.get("credentialStatus")
    fields: dict[str, Any] = {
        FIELD_NUMBER: number,
        FIELD_HOLDER: holder,
        FIELD_KIND: _ACHIEVEMENT_KINDS.get(str(achievement.get("achievementType")), "training"),
        FIELD_COURSE: achievement.get("name"),
        FIELD_LEVEL: achievement.get("specialization"),
        FIELD_HOURS: subject.get("creditsEarned"),
        FIELD_ISSUED: _iso_day(credential.get("validFrom")),
        FIELD_EXPIRES: _iso_day(credential.get("validUntil")),
        FIELD_ISSUER: issuer.get("name") if isinstance(issuer, Mapping) else issuer,
        FIELD_VERIFY_URL: url if isinstance(url, str) and _URL.fullmatch(url) else None,
        "status": dict(status) if isinstance(status, Mapping) else None,
    }
    track = achievement.get("fieldOfStudy")
    if track:
        fields[FIELD_TRACK] = track
    return fields


def status_bit(status_list: Mapping[str, Any], index: int) -> bool:
    """Bit ``index`` of a BitstringStatusListCredential (True: the status is set).

    ``encodedList`` is multibase base64url (``u`` prefix) of the GZIP-compressed
    bitstring; index 0 is the most significant bit of the first byte.
    """
    subject = status_list.get("credentialSubject")
    encoded = subject.get("encodedList") if isinstance(subject, Mapping) else None
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise ValueError("status list has no multibase base64url encodedList")
    try:
        packed = _b64url_decode(encoded[1:])
        inflater = zlib.decompressobj(wbits=31)  # 31: the gzip container
        bits = inflater.decompress(packed, MAX_STATUS_LIST_BYTES)
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"status list bitstring cannot be decoded: {exc}") from None
    if inflater.unconsumed_tail:
        raise ValueError("status list bitstring is larger than this verifier allows")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(f"status index must be a whole number >= 0, got {index!r}")
    if index >= len(bits) * 8:
        raise ValueError(f"status index {index} is beyond the list's {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
