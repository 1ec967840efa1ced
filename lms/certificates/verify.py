"""Offline verifier for LMS training-certificate tokens.

Either form works::

    python -m lms.certificates.verify TOKEN --jwks FILE [--json] [--on YYYY-MM-DD]
    python lms/certificates/verify.py TOKEN --jwks FILE [--json] [--on YYYY-MM-DD]

The module form imports the ``lms`` package, whose ``__init__`` imports Flask
and the whole application. The script-path form imports only the standard
library, ``cryptography`` and ``tokens.py`` from this file's folder, so a third
party can copy ``verify.py`` and ``tokens.py`` into any folder and run
``python verify.py TOKEN --jwks jwks.json`` with nothing but ``cryptography``
installed. TOKEN may be ``-`` to read the token from standard input.

It checks the Ed25519 signature against the issuer's JWKS and the expiry date.
It cannot know about revocation offline and says so.

Exit codes: 0 valid, 1 invalid or expired, 2 usage error (bad arguments,
unreadable or invalid JWKS file).
"""

from __future__ import annotations

import os
import sys

if not __package__:
    # As a plain script Python puts this folder first on sys.path, where our
    # numbers.py would shadow the standard library's numbers module.
    _HERE = os.path.dirname(os.path.realpath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != _HERE]

# After the path fix, so that nothing imported below picks up our numbers.py.
import argparse
import datetime as dt
import importlib.util
import io
import json
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

REVOCATION_NOTE = "offline check: revocation not checked"
READ_STDIN = "-"
_STANDALONE_TOKENS = "lms_certificate_tokens_standalone"

# (label, field, shown even when absent) in display order.
_SUMMARY = (
    ("Number", "number", True),
    ("Holder", "holder", True),
    ("Kind", "kind", True),
    ("Track", "track", False),
    ("Course", "course", False),
    ("Level", "level", True),
    ("Hours", "hours", False),
    ("Issued", "issued", True),
    ("Expires", "expires", True),
    ("Issuer", "issuer", True),
)


def _load_tokens() -> ModuleType:
    if __package__:
        from . import tokens

        return tokens
    if _STANDALONE_TOKENS in sys.modules:
        return sys.modules[_STANDALONE_TOKENS]
    # Loaded by file path under a private name, so the lms package (and with
    # it Flask and the database layer) is never imported.
    path = Path(__file__).resolve().with_name("tokens.py")
    spec = importlib.util.spec_from_file_location(_STANDALONE_TOKENS, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_STANDALONE_TOKENS] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[_STANDALONE_TOKENS]
        raise
    return module


tokens = _load_tokens()


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date YYYY-MM-DD: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify",
        description="Verify an LMS training-certificate token offline "
        "(signature and expiry; revocation needs the online check).",
        epilog="Exit codes: 0 valid, 1 invalid or expired, 2 usage error.",
    )
    parser.add_argument("token", help="the certificate token (v1....), or - to read stdin")
    parser.add_argument(
        "--jwks",
        required=True,
        type=Path,
        metavar="FILE",
        help="JWKS file with the issuer's Ed25519 public keys",
    )
    parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")
    parser.add_argument(
        "--on",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="judge expiry as of this date (default: today)",
    )
    return parser


def _printable(value: Any) -> str:
    """Field value as one safe line of text."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    # Fields are printed to a terminal: control and bidi-override characters
    # could fake extra lines or reorder "INVALID" into something else.
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch).startswith("C") else ch for ch in text
    )


def revocation_note(fields: Mapping[str, Any] | None) -> str:
    """The line that says this offline check could not look at revocation."""
    url = None if fields is None else fields.get("verify_url")
    if isinstance(url, str) and url:
        return f"{REVOCATION_NOTE}; check online at {_printable(url)}"
    return f"{REVOCATION_NOTE}; the token carries no verify URL, ask the issuer"


def evaluate(token: str, public_keys: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """Verify one token and describe the outcome as a JSON-ready dict."""
    result: dict[str, Any] = {
        "status": "invalid",
        "valid": False,
        "reason": None,
        "error": None,
        "kid": None,
        "fields": None,
        "checked_on": today.isoformat(),
        "revocation_checked": False,
        "verify_url": None,
        "note": revocation_note(None),
    }
    try:
        fields = tokens.verify_token(token, public_keys)
    except tokens.TokenError as exc:
        result.update(reason=str(exc), error=exc.code)
        return result
    expires = tokens.expiry_date(fields)
    result.update(
        kid=tokens.token_kid(token),
        fields=fields,
        verify_url=fields.get("verify_url"),
        note=revocation_note(fields),
    )
    if expires is not None and today > expires:
        result.update(
            status="expired",
            error="expired",
            reason=f"certificate expired on {expires.isoformat()}",
        )
    else:
        result.update(status="valid", valid=True)
    return result


def _human(result: Mapping[str, Any]) -> str:
    fields = result["fields"]
    if fields is None:
        return f"INVALID: {_printable(result['reason'])}\n"
    if result["status"] == "expired":
        lines = [
            f"EXPIRED: {_printable(result['reason'])} (checked on {result['checked_on']}); "
            "the signature itself is genuine"
        ]
    else:
        lines = [
            f"VALID: signature verified with issuer key {result['kid']}; "
            f"not expired on {result['checked_on']}"
        ]
    shown = set()
    width = max(len(label) for label, _, _ in _SUMMARY)
    for label, name, always in _SUMMARY:
        shown.add(name)
        if name not in fields and not always:
            continue
        value = fields.get(name)
        if value is None:
            text = "never" if name == "expires" else "-"
        else:
            text = _printable(value)
        lines.append(f"  {label + ':':<{width + 1}} {text}")
    shown.add("verify_url")
    for name in sorted(set(fields) - shown):
        lines.append(f"  {_printable(name)}: {_printable(fields[name])}")
    lines.append(result["note"])
    return "\n".join(lines) + "\n"


def _usage_error(message: str, as_json: bool) -> int:
    print(f"verify: error: {message}", file=sys.stderr)
    if as_json:
        print(json.dumps({"status": "error", "valid": False, "reason": message}))
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier command line and return its exit code."""
    args = _parser().parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # A holder's name in Chinese must not crash a console without UTF-8.
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        jwks_text = args.jwks.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _usage_error(f"cannot read JWKS file {str(args.jwks)!r}: {exc}", args.as_json)
    try:
        public_keys = tokens.public_keys_from_jwks(jwks_text)
    except tokens.JWKSError as exc:
        return _usage_error(f"JWKS file {str(args.jwks)!r} is not usable: {exc}", args.as_json)
    token = sys.stdin.read() if args.token == READ_STDIN else args.token
    result = evaluate(token, public_keys, args.on or dt.date.today())
    if args.as_json:
        # ASCII escapes keep the JSON valid whatever the console's encoding.
        print(json.dumps(result, sort_keys=True, indent=2))
    else:
        sys.stdout.write(_human(result))
    return EXIT_VALID if result["valid"] else EXIT_INVALID


if __name__ == "__main__":
    raise SystemExit(main())
