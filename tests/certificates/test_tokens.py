"""Signed certificate tokens, key ids and JWKS documents."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from lms.certificates import tokens as t
from lms.certificates.tokens import (
    BadSignature,
    JWKSError,
    MalformedToken,
    TokenError,
    UnknownKey,
)

FIELDS: dict[str, Any] = {
    "number": "LMS-7K2M-QX4D-9B3N-T5",
    "holder": "张三 Zhang San",
    "kind": "course_completion",
    "track": "外卖骑手 / delivery rider",
    "course": "电动自行车安全驾驶",
    "level": "初级",
    "issued": "2025-03-01",
    "expires": "2027-02-28",
    "issuer": "LMS 培训中心 / LMS Training Centre",
    "hours": 12.5,
    "verify_url": "https://lms.example.cn/certificates/verify/LMS7K2MQX4D9B3NT5",
}
TOKEN_SHAPE = re.compile(r"v1\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def kid(key: Ed25519PrivateKey) -> str:
    return t.kid_for(key.public_key())


@pytest.fixture(scope="module")
def trusted(key: Ed25519PrivateKey, kid: str) -> dict[str, Ed25519PublicKey]:
    return {kid: key.public_key()}


@pytest.fixture(scope="module")
def token(key: Ed25519PrivateKey, kid: str) -> str:
    return t.sign_certificate(FIELDS, key, kid)


def resign(key: Ed25519PrivateKey, kid: str, payload: bytes) -> str:
    """A token over arbitrary payload bytes, bypassing sign_certificate's checks."""
    signed = f"v1.{kid}.{b64(payload)}"
    return f"{signed}.{b64(key.sign(signed.encode()))}"


def with_payload(token: str, fields: dict[str, Any]) -> str:
    """The token with its payload replaced but the original signature kept."""
    version, kid, _, signature = token.split(".")
    return f"{version}.{kid}.{b64(t.canonical_payload(fields))}.{signature}"


# --- canonical payload ---------------------------------------------------------


def test_canonical_payload_is_deterministic_compact_utf8() -> None:
    fields = {"b": 1, "a": "张三", "c": None, "d": [1.5, True], "e": {"y": 1, "x": 2}}
    expected = '{"a":"张三","b":1,"c":null,"d":[1.5,true],"e":{"x":2,"y":1}}'.encode()
    assert t.canonical_payload(fields) == expected
    reordered = dict(reversed(list(fields.items())))
    assert t.canonical_payload(reordered) == expected


@pytest.mark.parametrize(
    "fields",
    [
        {"issued": dt.date(2025, 1, 1)},
        {"x": float("nan")},
        {"x": float("inf")},
        {"x": (1, 2)},
        {"x": {1, 2}},
        {1: "non-string key"},
        {"x": "\ud800 lone surrogate"},
    ],
)
def test_canonical_payload_rejects_non_json_values(fields: dict[Any, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        t.canonical_payload(fields)


def test_canonical_payload_needs_a_mapping() -> None:
    with pytest.raises(TypeError):
        t.canonical_payload([("a", 1)])  # type: ignore[arg-type]


# --- round trip and token shape ---------------------------------------------------


def test_round_trip(token: str, trusted: dict[str, Ed25519PublicKey]) -> None:
    assert t.verify_token(token, trusted) == FIELDS


def test_token_shape(token: str, kid: str, key: Ed25519PrivateKey) -> None:
    assert TOKEN_SHAPE.fullmatch(token)
    assert "=" not in token and "+" not in token and "/" not in token
    version, token_kid, payload, signature = token.split(".")
    assert (version, token_kid) == ("v1", kid)
    assert t.token_kid(token) == kid
    assert unb64(payload) == t.canonical_payload(FIELDS)
    # The signature covers version and kid as well as the payload.
    key.public_key().verify(unb64(signature), f"v1.{kid}.{payload}".encode())


def test_signing_is_deterministic(key: Ed25519PrivateKey, kid: str) -> None:
    reordered = dict(reversed(list(FIELDS.items())))
    assert t.sign_certificate(FIELDS, key, kid) == t.sign_certificate(reordered, key, kid)


def test_surrounding_whitespace_is_ignored(
    token: str, trusted: dict[str, Ed25519PublicKey]
) -> None:
    assert t.verify_token(f"  {token}\n", trusted) == FIELDS


def test_minimal_fields_and_never_expiring(key: Ed25519PrivateKey, kid: str) -> None:
    fields = {"number": "LMS-0000-0000-0000-00", "issued": "2025-01-01", "expires": None}
    token = t.sign_certificate(fields, key, kid)
    verified = t.verify_token(token, {kid: key.public_key()})
    assert verified == fields
    assert t.expiry_date(verified) is None
    assert not t.is_expired(verified, dt.date(9999, 12, 31))


# --- tampering ---------------------------------------------------------------------


def _changed(value: Any) -> Any:
    if value is None:
        return "2099-12-31"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if value.startswith("20") and len(value) == 10:  # an ISO date: stay a date
        return "2099" + value[4:]
    return value + "x"


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_any_changed_field_breaks_the_signature(
    name: str, token: str, trusted: dict[str, Ed25519PublicKey]
) -> None:
    tampered = dict(FIELDS, **{name: _changed(FIELDS[name])})
    with pytest.raises(BadSignature):
        t.verify_token(with_payload(token, tampered), trusted)


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_any_removed_field_breaks_the_signature(
    name: str, token: str, trusted: dict[str, Ed25519PublicKey]
) -> None:
    tampered = {key: value for key, value in FIELDS.items() if key != name}
    with pytest.raises(BadSignature):
        t.verify_token(with_payload(token, tampered), trusted)


def test_added_field_breaks_the_signature(token: str, trusted: dict[str, Ed25519PublicKey]) -> None:
    with pytest.raises(BadSignature):
        t.verify_token(with_payload(token, dict(FIELDS, note="extra")), trusted)


def test_every_flipped_signature_byte_fails(
    token: str, trusted: dict[str, Ed25519PublicKey]
) -> None:
    head, signature = token.rsplit(".", 1)
    raw = unb64(signature)
    for index in range(len(raw)):
        flipped = raw[:index] + bytes([raw[index] ^ 0x01]) + raw[index + 1 :]
        with pytest.raises(BadSignature):
            t.verify_token(f"{head}.{b64(flipped)}", trusted)


def test_swapped_kid_fails(key: Ed25519PrivateKey, kid: str, token: str) -> None:
    other = Ed25519PrivateKey.generate()
    other_kid = t.kid_for(other.public_key())
    both = {kid: key.public_key(), other_kid: other.public_key()}
    # Relabelling the token as the other key's: the signature covers the kid.
    relabelled = token.replace(f".{kid}.", f".{other_kid}.", 1)
    with pytest.raises(BadSignature):
        t.verify_token(relabelled, both)


def test_token_from_another_key(trusted: dict[str, Ed25519PublicKey], kid: str) -> None:
    stranger = Ed25519PrivateKey.generate()
    own_kid = t.kid_for(stranger.public_key())
    with pytest.raises(UnknownKey, match=own_kid):
        t.verify_token(t.sign_certificate(FIELDS, stranger, own_kid), trusted)
    # A forger who claims our kid still cannot produce our signature.
    with pytest.raises(BadSignature):
        t.verify_token(t.sign_certificate(FIELDS, stranger, kid), trusted)


def test_errors_share_a_base_and_have_codes() -> None:
    for cls, code in (
        (MalformedToken, "malformed"),
        (UnknownKey, "unknown_key"),
        (BadSignature, "bad_signature"),
    ):
        assert issubclass(cls, TokenError) and issubclass(cls, ValueError)
        assert cls.code == code


# --- malformed input ----------------------------------------------------------------


def test_every_truncation_is_malformed(token: str, trusted: dict[str, Ed25519PublicKey]) -> None:
    for cut in range(len(token)):
        with pytest.raises(MalformedToken):
            t.verify_token(token[:cut], trusted)
        with pytest.raises(MalformedToken):
            t.verify_token(token[cut + 1 :], trusted)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        ".",
        "....",
        "v1...",
        "v1.kid.payload",
        "v1.kid.payload.sig.extra",
        "v2.kid.eyJ9.AAAA",
        "V1.kid.eyJ9.AAAA",
        "v1.bad kid.eyJ9." + "A" * 86,
        "v1." + "k" * 65 + ".eyJ9." + "A" * 86,
        "v1.kid.ey!J9." + "A" * 86,
        "v1.kid.eyJ9=." + "A" * 86,
        "v1.kid.eyJ9." + "A" * 85,
        "v1.kid.eyJ9." + "A" * 87,
        "v1.kid.eyJ9." + "A" * 88,
        "v1.kid.eyJ9." + "A" * 85 + "B",  # non-canonical: stray low bits
        "v1.kid.e." + "A" * 86,  # impossible base64 length
        "v1.kid.eyJ9." + "A" * 84 + "==",
        "v1.kid.eyJ9." + "/" * 86,
        "v1.kid.eyJ9." + "A" * 86 + "\n.",
        "v1.κιδ.eyJ9." + "A" * 86,
        "v1." + "x" * 5000,
        "\x00\x01\x02",
        "https://lms.example.cn/verify?t=abc",
    ],
)
def test_garbage_is_malformed(garbage: str, trusted: dict[str, Ed25519PublicKey]) -> None:
    with pytest.raises(MalformedToken):
        t.verify_token(garbage, trusted)


@pytest.mark.parametrize("value", [None, 42, b"v1.a.b.c", ["v1"], {"token": "x"}])
def test_non_text_is_malformed(value: Any, trusted: dict[str, Ed25519PublicKey]) -> None:
    with pytest.raises(MalformedToken):
        t.verify_token(value, trusted)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        b"[1,2,3]",
        b'"just a string"',
        b"null",
        b'{"number":"LMS-1","issued":"2025-01-01","issued":"2025-01-02"}',
        b'{ "issued":"2025-01-01","number":"LMS-1"}',  # not canonical
        b'{"number":"LMS-1","issued":"2025-01-01","x":NaN}',
        b'{"issued":"2025-01-01"}',  # no number
        b'{"issued":"01/02/2025","number":"LMS-1"}',
        b'{"issued":"2025-01-01","number":"LMS-1","status":"active"}',
        b"[" * 100000,
    ],
)
def test_signed_but_invalid_payload_is_malformed(
    payload: bytes, key: Ed25519PrivateKey, kid: str, trusted: dict[str, Ed25519PublicKey]
) -> None:
    with pytest.raises(MalformedToken):
        t.verify_token(resign(key, kid, payload), trusted)


def test_over_long_token_is_refused_unread(trusted: dict[str, Ed25519PublicKey]) -> None:
    with pytest.raises(MalformedToken, match="longer"):
        t.verify_token("v1.a." + "A" * t.MAX_TOKEN_LENGTH + "." + "A" * 86, trusted)


# --- what may be signed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"number": ""}, "number"),
        ({"number": None}, "number"),
        ({"issued": None}, "issued"),
        ({"issued": "2025-1-1"}, "issued"),
        ({"issued": "20250101"}, "issued"),
        ({"issued": "2025-02-30"}, "issued"),
        ({"expires": "2024-12-31"}, "before"),
        ({"expires": "2027-02-28T00:00:00"}, "expires"),
        ({"hours": -1}, "hours"),
        ({"hours": True}, "hours"),
        ({"hours": "12"}, "hours"),
        ({"holder": 7}, "holder"),
        ({"level": 2.5}, "level"),
        ({"verify_url": "javascript:alert(1)"}, "verify_url"),
        ({"verify_url": "https://a b"}, "verify_url"),
        ({"status": "active"}, "status"),
        ({"revoked": False}, "revoked"),
    ],
)
def test_sign_rejects_bad_fields(
    change: dict[str, Any], message: str, key: Ed25519PrivateKey, kid: str
) -> None:
    fields = dict(FIELDS, **change)
    with pytest.raises(ValueError, match=message):
        t.sign_certificate(fields, key, kid)


def test_sign_requires_number_and_issued(key: Ed25519PrivateKey, kid: str) -> None:
    for name in ("number", "issued"):
        fields = {k: v for k, v in FIELDS.items() if k != name}
        with pytest.raises(ValueError, match=name):
            t.sign_certificate(fields, key, kid)


def test_level_may_be_an_integer(key: Ed25519PrivateKey, kid: str) -> None:
    token = t.sign_certificate(dict(FIELDS, level=3), key, kid)
    assert t.verify_token(token, {kid: key.public_key()})["level"] == 3


@pytest.mark.parametrize("bad_kid", ["", "has.dot", "has space", "k" * 65, "ключ", None])
def test_sign_rejects_bad_kid(bad_kid: Any, key: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError, match="kid"):
        t.sign_certificate(FIELDS, key, bad_kid)


def test_sign_rejects_other_key_types(kid: str) -> None:
    with pytest.raises(TypeError):
        t.sign_certificate(FIELDS, ec.generate_private_key(ec.SECP256R1()), kid)  # type: ignore[arg-type]


def test_sign_refuses_tokens_verifiers_would_refuse(key: Ed25519PrivateKey, kid: str) -> None:
    with pytest.raises(ValueError, match="over"):
        t.sign_certificate(dict(FIELDS, holder="x" * t.MAX_TOKEN_LENGTH), key, kid)


# --- expiry ---------------------------------------------------------------------------


def test_expiry_is_inclusive_of_the_last_day() -> None:
    assert t.expiry_date(FIELDS) == dt.date(2027, 2, 28)
    assert not t.is_expired(FIELDS, dt.date(2027, 2, 28))
    assert t.is_expired(FIELDS, dt.date(2027, 3, 1))
    assert not t.is_expired(FIELDS, dt.date(2025, 3, 1))


# --- keys, kids and JWKS ----------------------------------------------------------------


def test_kid_matches_rfc8037_thumbprint_example() -> None:
    # RFC 8037 appendix A.2/A.3: public key and its RFC 7638 thumbprint.
    public = Ed25519PublicKey.from_public_bytes(
        unb64("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
    )
    assert t.jwk_thumbprint(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert t.kid_for(public) == "kPrK_qmxVWaYVA9w"


def test_generate_and_load_key() -> None:
    pem, kid = t.generate_key()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    key = t.load_private_key(pem)
    assert t.kid_for(key.public_key()) == kid
    assert t.load_private_key(pem.encode()).public_key() == key.public_key()
    assert t.generate_key()[1] != kid


def test_load_encrypted_key() -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    assert t.load_private_key(pem, password=b"secret").public_key() == key.public_key()
    with pytest.raises(ValueError):
        t.load_private_key(pem)
    with pytest.raises(ValueError):
        t.load_private_key(pem, password=b"wrong")


def test_load_private_key_rejects_other_keys_and_garbage() -> None:
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="not Ed25519"):
        t.load_private_key(ec_pem)
    truncated = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
    for garbage in ("", "not a key", truncated):
        with pytest.raises(ValueError):
            t.load_private_key(garbage)


def test_public_jwk(key: Ed25519PrivateKey, kid: str) -> None:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert t.public_jwk(key.public_key(), kid) == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64(raw),
        "kid": kid,
        "use": "sig",
        "alg": "EdDSA",
    }


def test_jwks_round_trip_through_json() -> None:
    keys = {}
    for _ in range(3):
        private = Ed25519PrivateKey.generate()
        keys[t.kid_for(private.public_key())] = private.public_key()
    doc = t.jwks(keys)
    assert [entry["kid"] for entry in doc["keys"]] == list(keys)
    text = json.dumps(doc)
    for source in (json.loads(text), text, text.encode()):
        loaded = t.public_keys_from_jwks(source)
        assert list(loaded) == list(keys)
        for kid, public in loaded.items():
            assert public == keys[kid]
    assert t.jwks(t.public_keys_from_jwks(text)) == doc


def test_key_rotation() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    old_kid, new_kid = t.kid_for(old.public_key()), t.kid_for(new.public_key())
    old_token = t.sign_certificate(FIELDS, old, old_kid)
    new_token = t.sign_certificate(dict(FIELDS, number="LMS-0000-0000-0000-00"), new, new_kid)

    both = t.public_keys_from_jwks(
        json.dumps(t.jwks({new_kid: new.public_key(), old_kid: old.public_key()}))
    )
    assert t.verify_token(old_token, both) == FIELDS
    assert t.verify_token(new_token, both)["number"] == "LMS-0000-0000-0000-00"

    # Once the old key is retired from the JWKS its tokens are no longer trusted.
    only_new = t.public_keys_from_jwks(t.jwks({new_kid: new.public_key()}))
    assert t.verify_token(new_token, only_new)
    with pytest.raises(UnknownKey):
        t.verify_token(old_token, only_new)


def _good_jwk() -> dict[str, Any]:
    private = Ed25519PrivateKey.generate()
    return t.public_jwk(private.public_key(), "good-kid")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kty": "RSA"}, "kty"),
        ({"kty": "EC"}, "kty"),
        ({"kty": None}, "kty"),
        ({"crv": "X25519"}, "crv"),
        ({"crv": "Ed448"}, "crv"),
        ({"crv": "P-256"}, "crv"),
        ({"x": None}, "x"),
        ({"x": 12}, "x"),
        ({"x": "AAAA"}, "x"),
        ({"x": "A" * 43 + "="}, "x"),
        ({"x": "A" * 42 + "!"}, "x"),
        ({"x": "A" * 42 + "B"}, "x"),  # non-canonical trailing bits
        ({"kid": None}, "kid"),
        ({"kid": ""}, "kid"),
        ({"kid": "a.b"}, "kid"),
        ({"kid": 7}, "kid"),
        ({"use": "enc"}, "use"),
        ({"alg": "ES256"}, "alg"),
        ({"alg": "none"}, "alg"),
        ({"key_ops": ["sign"]}, "key_ops"),
        ({"key_ops": "verify"}, "key_ops"),
        ({"d": "A" * 43}, "private"),
    ],
)
def test_jwks_rejects_bad_keys(change: dict[str, Any], message: str) -> None:
    jwk = dict(_good_jwk(), **change)
    with pytest.raises(JWKSError, match=message):
        t.public_keys_from_jwks({"keys": [jwk]})


def test_jwks_rejects_missing_members() -> None:
    for member in ("kty", "crv", "x", "kid"):
        jwk = {k: v for k, v in _good_jwk().items() if k != member}
        with pytest.raises(JWKSError):
            t.public_keys_from_jwks({"keys": [jwk]})


def test_jwks_accepts_optional_members_absent_or_extra() -> None:
    jwk = {k: v for k, v in _good_jwk().items() if k not in ("use", "alg")}
    assert list(t.public_keys_from_jwks({"keys": [jwk]})) == ["good-kid"]
    extra = dict(_good_jwk(), key_ops=["verify"], alg="Ed25519", x5u="ignored")
    assert list(t.public_keys_from_jwks({"keys": [extra]})) == ["good-kid"]


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "not json",
        b"\xff",
        "[]",
        {},
        {"keys": None},
        {"keys": {}},
        {"keys": []},
        {"keys": ["string"]},
        {"keys": [None]},
    ],
)
def test_jwks_rejects_bad_documents(doc: Any) -> None:
    with pytest.raises(JWKSError):
        t.public_keys_from_jwks(doc)


def test_jwks_rejects_duplicate_kids() -> None:
    with pytest.raises(JWKSError, match="twice"):
        t.public_keys_from_jwks({"keys": [_good_jwk(), _good_jwk()]})


def test_public_jwk_rejects_bad_input(key: Ed25519PrivateKey) -> None:
    with pytest.raises(ValueError):
        t.public_jwk(key.public_key(), "bad kid")
    with pytest.raises(TypeError):
        t.public_jwk(key, "kid")  # type: ignore[arg-type]
