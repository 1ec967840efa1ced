"""The issuer's Ed25519 signing key and the public keys it publishes.

Configuration (read with ``current_app.config.get``):

* ``LMS_SIGNING_KEY``: the private key as PKCS#8 PEM text, or
* ``LMS_SIGNING_KEY_FILE``: a path to that PEM file.
* ``LMS_RETIRED_PUBLIC_KEYS``: a JWKS (dict, JSON text or a file path) of keys
  that signed earlier certificates; they stay in the published JWKS so old
  certificates keep verifying after a rotation.

Without a configured key, debug, testing and the standalone default generate
one into ``<instance>/certificate-signing-key.pem`` once and reuse it; without
``LMS_RETIRED_PUBLIC_KEYS`` the retired keys are read from
``<instance>/certificate-retired-keys.json`` if it exists.

:func:`rotate_signing_key` (``flask lms certificates rotate-key``) writes a new
key into the key file and the old public key into the retired JWKS file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app

from lms.certificates import tokens
from lms.config import config_value

GENERATED_KEY_FILE = "certificate-signing-key.pem"
RETIRED_KEYS_FILE = "certificate-retired-keys.json"


class SigningKeyMissing(RuntimeError):
    """Production without a configured signing key: certificates cannot be issued."""


@dataclass(frozen=True)
class SigningKey:
    """The current private key and its key id."""

    private_key: Ed25519PrivateKey
    kid: str


def _generate_into(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem, _kid = tokens.generate_key()
    # O_EXCL: two processes starting together must not write two different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(pem)


def may_generate(app: Flask) -> bool:
    """Whether this app may generate its own keys (debug, testing, the standalone trial)."""
    # With the start-up checks on (any host in production) a key must be
    # configured; the standalone trial, debug and tests get a generated one so
    # they work out of the box.
    return bool(app.debug or app.testing or not config_value("LMS_STARTUP_CHECKS", app))


def signing_key(app: Flask | None = None) -> SigningKey:
    """The configured signing key (cached per app), generating a dev key if allowed."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.setdefault("lms_certificate_keys", {})
    if "signing" in cache:
        return cache["signing"]
    pem: str | bytes | None = config_value("LMS_SIGNING_KEY", app)
    key_file = config_value("LMS_SIGNING_KEY_FILE", app)
    if not pem and key_file:
        pem = Path(key_file).read_bytes()
    if not pem:
        path = Path(app.instance_path) / GENERATED_KEY_FILE
        if not path.exists():
            if not may_generate(app):
                raise SigningKeyMissing(
                    "Set LMS_SIGNING_KEY or LMS_SIGNING_KEY_FILE to an Ed25519 PEM key."
                )
            _generate_into(path)
        pem = path.read_bytes()
    private_key = tokens.load_private_key(pem)
    key = SigningKey(private_key, tokens.kid_for(private_key.public_key()))
    cache["signing"] = key
    return key


def _retired_jwks(app: Flask) -> dict[str, Any] | None:
    value = config_value("LMS_RETIRED_PUBLIC_KEYS", app)
    if not value:
        default = Path(app.instance_path) / RETIRED_KEYS_FILE
        return json.loads(default.read_text(encoding="utf-8")) if default.exists() else None
    if isinstance(value, dict):
        return value
    text = str(value).strip()
    if not text.startswith("{"):
        text = Path(text).read_text(encoding="utf-8")
    return json.loads(text)


def public_keys(app: Flask | None = None) -> dict[str, Ed25519PublicKey]:
    """Every trusted verification key by kid: the current one and the retired ones."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache = app.extensions.setdefault("lms_certificate_keys", {})
    if "public" in cache:
        return cache["public"]
    current = signing_key(app)
    keys: dict[str, Ed25519PublicKey] = {}
    retired = _retired_jwks(app)
    if retired:
        keys.update(tokens.public_keys_from_jwks(retired))
    keys[current.kid] = current.private_key.public_key()
    cache["public"] = keys
    return keys


def published_jwks(app: Flask | None = None) -> dict[str, Any]:
    """The JWKS document served at ``/.well-known/jwks.json``."""
    keys = public_keys(app)
    current = signing_key(app).kid
    # Current key first: verifiers that try keys in order find it at once.
    ordered = {current: keys[current], **{k: v for k, v in keys.items() if k != current}}
    return tokens.jwks(ordered)


class KeyRotationError(RuntimeError):
    """The keys are configured in a way this command cannot rotate (it says why)."""


def _key_file(app: Flask) -> Path:
    if config_value("LMS_SIGNING_KEY", app):
        raise KeyRotationError(
            "LMS_SIGNING_KEY holds the key inline: move it into a file named by "
            "LMS_SIGNING_KEY_FILE, then rotate."
        )
    key_file = config_value("LMS_SIGNING_KEY_FILE", app)
    return Path(key_file) if key_file else Path(app.instance_path) / GENERATED_KEY_FILE


def _retired_file(app: Flask) -> Path:
    value = config_value("LMS_RETIRED_PUBLIC_KEYS", app)
    if not value:
        return Path(app.instance_path) / RETIRED_KEYS_FILE
    if isinstance(value, dict) or str(value).strip().startswith("{"):
        raise KeyRotationError(
            "LMS_RETIRED_PUBLIC_KEYS holds the JWKS inline: point it at a file, then rotate."
        )
    return Path(str(value).strip())


def _replace(path: Path, text: str) -> None:
    # Write beside it, then rename: a reader sees the old file or the new, never half.
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(f".{path.name}.new")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(spare, path)


def rotate_signing_key(app: Flask | None = None) -> tuple[str, str, Path, Path]:
    """Retire the current signing key and start signing with a new one.

    The old public key goes into the retired JWKS file first, so a crash in
    between never leaves certificates unverifiable. Returns (old kid, new kid,
    key file, retired file). Other processes pick the new key up when restarted.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    key_file, retired_file = _key_file(app), _retired_file(app)
    current = signing_key(app)
    # The file may not exist before the first rotation.
    published = retired_file.read_text(encoding="utf-8") if retired_file.exists() else None
    retired = tokens.public_keys_from_jwks(published) if published else {}
    retired[current.kid] = current.private_key.public_key()
    _replace(retired_file, json.dumps(tokens.jwks(retired), indent=2) + "\n")
    pem, new_kid = tokens.generate_key()
    _replace(key_file, pem)
    app.extensions.pop("lms_certificate_keys", None)
    if signing_key(app).kid != new_kid:
        raise KeyRotationError(f"the app does not read the new key from {key_file}")
    return current.kid, new_kid, key_file, retired_file
