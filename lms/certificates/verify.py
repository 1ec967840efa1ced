"""Offline verifier for LMS training certificates: credentials, PDFs, QR links, tokens.

Either form works::

    python -m lms.certificates.verify SOURCE --jwks FILE [--status-list FILE] [--json]
    python lms/certificates/verify.py SOURCE --jwks FILE [--status-list FILE] [--json]
    python -m lms.certificates.verify SOURCE --number NUMBER --jwks FILE [--status-list FILE]
    python -m lms.certificates.verify NUMBER --jwks FILE [--status-list FILE]

The module form imports the ``lms`` package, whose ``__init__`` imports Flask
and the whole application. The script-path form imports only the standard
library, ``cryptography`` and ``tokens.py`` from this file's folder, so a third
party can copy ``verify.py`` and ``tokens.py`` into any folder and run it with
nothing but ``cryptography`` installed.

SOURCE is any of: a credential file (``.jwt``, or ``.json`` with the JWT as its
proof) from My certificates or a share link; the certificate PDF (it carries its
credential as an attachment); a QR code's URL (``.../c/<number>.<key>``, the
credential is then downloaded from it); a token text (``eyJ...`` VC-JWT, or an
old ``v1....`` token); or ``-`` for standard input.

It checks the Ed25519 signature against the issuer's JWKS, the expiry date and,
with the issuer's status list, revocation. Download the JWKS and the status
list once (both are URLs on the issuer's site, the status list's is in the
credential) and every later check needs no network.

A certificate number (``LMS-XXXX-XXXX-XXXX-XC``) is random and signs nothing:
the status list index and the signature live only in the credential. So with
``--number`` the credential is verified as above *and* must carry that number
(a credential of another certificate is reported as MISMATCH), and a number
given alone is checked only for its shape and check symbol: the report says
NOT VERIFIED, names what was not checked and where to download the credential.
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
import re
import unicodedata
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
#: A number given without its credential: well formed, but nothing is proved.
EXIT_UNVERIFIED = 3

REVOCATION_NOTE = "offline check: revocation not checked"
#: Largest file or download read (a PDF certificate is far smaller).
MAX_INPUT_BYTES = 4 * 1024 * 1024
FETCH_TIMEOUT = 15
_JWS_IN_TEXT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{86}")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
#: What the first word of the report says for each outcome.
HEADLINES = {
    "valid": "VALID",
    "revoked": "REVOKED",
    "expired": "EXPIRED",
    "bad_signature": "BAD SIGNATURE",
    "unknown_key": "UNKNOWN KEY",
    "malformed": "INVALID",
    "mismatch": "MISMATCH",
    "unverified": "NOT VERIFIED",
}
READ_STDIN = "-"
_STANDALONE_TOKENS = "lms_certificate_tokens_standalone"
_STANDALONE_NUMBERS = "lms_certificate_numbers_standalone"
#: What a check of a number alone leaves unproved, in the report's words.
NOT_CHECKED_WITHOUT_CREDENTIAL = (
    "signature",
    "holder and course",
    "expiry",
    "revocation (the status list index is only in the signed credential)",
)

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


def _load_sibling(name: str, private_name: str) -> ModuleType | None:
    """A module from this file's folder, loaded by path so ``lms`` is never imported."""
    if private_name in sys.modules:
        return sys.modules[private_name]
    path = Path(__file__).resolve().with_name(f"{name}.py")
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(private_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[private_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[private_name]
        raise
    return module


def _load_tokens() -> ModuleType:
    if __package__:
        from . import tokens

        return tokens
    # Loaded by file path under a private name, so the lms package (and with
    # it Flask and the database layer) is never imported.
    module = _load_sibling("tokens", _STANDALONE_TOKENS)
    if module is None:
        raise ImportError(f"tokens.py must sit beside {Path(__file__).name}")
    return module


def _load_numbers() -> ModuleType | None:
    """numbers.py for check symbols; None when only verify.py and tokens.py were copied."""
    if __package__:
        from . import numbers

        return numbers
    return _load_sibling("numbers", _STANDALONE_NUMBERS)


tokens = _load_tokens()
numbers = _load_numbers()


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date YYYY-MM-DD: {text!r}") from None


EPILOG = """\
where each input comes from:
  SOURCE         the .jwt or .json from My certificates or from a share link's
                 page; the certificate PDF; the URL in its QR code; or a token;
                 or just the certificate NUMBER printed on the paper (see below)
  --number       the number printed on the certificate or told by its holder:
                 the credential in SOURCE must carry it
  --jwks         the issuer's public keys: save https://<issuer site>/.well-known/jwks.json
                 (the credential's JWS header names it as "jku")
  --status-list  the issuer's revocation list: save the URL in the credential's
                 credentialStatus.statusListCredential (one per organisation);
                 without it revocation is not checked and the report says so

a number alone:
  a certificate number is random: it carries no signature and the status list
  cannot be searched by it (its index is only in the signed credential). Given
  alone, only its shape and check symbol are checked and the report says NOT
  VERIFIED with what was not checked; download the credential from the
  issuer's https://<issuer site>/verify/<number> page (or ask the holder for
  the .jwt) and pass it as SOURCE with --number NUMBER for a full check.

the first word of the report:
  VALID, REVOKED (revoked or replaced by a corrected certificate), EXPIRED,
  BAD SIGNATURE (altered, or signed by another key), UNKNOWN KEY (the key is
  not in the JWKS: an old JWKS file, or a forgery), MISMATCH (a genuine
  credential of another number than --number), INVALID (not a credential, or
  a mistyped number), NOT VERIFIED (a well-formed number given alone)

Exit codes: 0 valid, 1 not valid (any outcome above but VALID and NOT
VERIFIED), 2 usage error (bad arguments, a file or URL that cannot be read, an
invalid JWKS or status list), 3 not verified (a number alone: nothing proved).
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify",
        description="Verify an LMS training certificate offline: signature, expiry "
        "and, with the issuer's status list, revocation.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "token",
        metavar="SOURCE",
        help="a .jwt/.json credential file, a certificate PDF, a QR code URL, "
        "a token (eyJ... or v1....), or - to read stdin",
    )
    parser.add_argument(
        "--jwks",
        required=True,
        type=Path,
        metavar="FILE",
        help="JWKS file with the issuer's Ed25519 public keys",
    )
    parser.add_argument(
        "--status-list",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        dest="status_lists",
        help="the issuer's signed status list (.jwt) for revocation; may be repeated",
    )
    parser.add_argument(
        "--number",
        metavar="NUMBER",
        help="the certificate number the credential must carry (as printed, e.g. "
        "LMS-7K2M-QX4D-9B3N-T5)",
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


def _headline_status(error: str) -> str:
    return error if error in HEADLINES else "malformed"


def evaluate(
    token: str,
    public_keys: Mapping[str, Any],
    today: dt.date,
    status_lists: Mapping[str, Mapping[str, Any]] | None = None,
    claimed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Verify one credential or token and describe the outcome as a JSON-ready dict.

    ``status_lists`` are verified status list credentials by their ``id``;
    ``claimed`` is the credential a ``.json`` file showed next to its JWT.
    """
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
    entry = None
    try:
        if tokens.is_jws(token):
            header, credential = tokens.verify_jws(token, public_keys)
            if claimed is not None and dict(claimed) != credential:
                raise tokens.BadSignature(
                    "the JSON credential differs from the JWT signed inside it: it was altered"
                )
            fields = tokens.credential_fields(credential)
            entry = fields.pop("status")
            kid = header["kid"]
        else:
            fields = tokens.verify_token(token, public_keys)
            kid = tokens.token_kid(token)
    except tokens.TokenError as exc:
        result.update(reason=str(exc), error=exc.code)
        return result
    expires = tokens.expiry_date(fields) if fields.get("expires") else None
    result.update(
        kid=kid,
        fields=fields,
        verify_url=fields.get("verify_url"),
        note=revocation_note(fields),
    )
    revoked = _revoked(entry, status_lists or {}, result)
    if revoked:
        result.update(
            status="revoked",
            error="revoked",
            reason="the issuer's status list marks this certificate revoked "
            "(or replaced by a corrected one)",
        )
    elif expires is not None and today > expires:
        result.update(
            status="expired",
            error="expired",
            reason=f"certificate expired on {expires.isoformat()}",
        )
    else:
        result.update(status="valid", valid=True)
    return result


def _revoked(
    entry: Mapping[str, Any] | None,
    status_lists: Mapping[str, Mapping[str, Any]],
    result: dict[str, Any],
) -> bool:
    """Look the credential's status entry up in the downloaded lists; records the note."""
    if not entry:
        return False
    url = entry.get("statusListCredential")
    status_list = status_lists.get(url) if isinstance(url, str) else None
    if status_list is None:
        result["note"] = (
            f"{REVOCATION_NOTE}: no status list given; download {_printable(url)} "
            "and pass it with --status-list"
        )
        return False
    try:
        index = int(str(entry.get("statusListIndex")))
        revoked = tokens.status_bit(status_list, index)
    except ValueError as exc:
        result["note"] = f"{REVOCATION_NOTE}: {_printable(str(exc))}"
        return False
    result["revocation_checked"] = True
    issued = status_list.get("validFrom")
    result["note"] = f"revocation checked with the status list of {_printable(issued)}"
    return revoked


def _without_separators(text: str) -> str:
    """The text upper-cased, without the spaces and dashes people type into numbers."""
    return re.sub(r"[\s\-\u2010-\u2015\u2212]+", "", unicodedata.normalize("NFKC", text)).upper()


def _looks_like_number(text: str) -> bool:
    """True for text shaped like an LMS certificate number rather than a file or token."""
    compact = _without_separators(text)
    return compact.startswith("LMS") and len(compact) <= 24 and not Path(text).exists()


def _compact_number(text: str) -> str:
    """A number without separators, for comparing (aliases O/I/L folded after LMS)."""
    if numbers is not None:
        try:
            return numbers.normalise_number(text)
        except numbers.MalformedNumber:
            pass
    return _without_separators(text)


def check_number_only(number: str, today: dt.date) -> dict[str, Any]:
    """Report on a number given without its credential: shape and check symbol only."""
    result: dict[str, Any] = {
        "status": "unverified",
        "valid": False,
        "reason": None,
        "error": None,
        "kid": None,
        "fields": None,
        "number": None,
        "checked": [],
        "not_checked": list(NOT_CHECKED_WITHOUT_CREDENTIAL),
        "checked_on": today.isoformat(),
        "revocation_checked": False,
        "verify_url": None,
        "note": "",
    }
    if numbers is None:
        result["not_checked"].insert(0, "check symbol (numbers.py is not beside verify.py)")
        result["number"] = _compact_number(number)
        result["checked"].append("looks like an LMS number")
    else:
        check = numbers.check_number(number)
        if not check.ok:
            if check.status == numbers.NumberStatus.MISTYPED:
                why = "its check symbol does not match: a character was mistyped or swapped"
            else:
                why = "it is not an LMS certificate number (prefix, length or symbols)"
            result.update(status="malformed", error="malformed", reason=why)
            result["note"] = "compare the number with the paper certificate and try again"
            return result
        result["number"] = check.number
        result["checked"].append("number format and check symbol")
    result["reason"] = "a number alone proves nothing: not checked: " + "; ".join(
        result["not_checked"]
    )
    result["note"] = (
        f"download the credential from the issuer's /verify/{result['number']} page "
        "(or ask the holder for the .jwt) and run again with it as SOURCE and "
        f"--number {result['number']}"
    )
    return result


def expect_number(result: dict[str, Any], number: str) -> dict[str, Any]:
    """Turn a verified result into MISMATCH when its credential is of another number."""
    fields = result.get("fields")
    if fields is None:
        return result
    carried = fields.get("number")
    result["number_checked"] = True
    if not isinstance(carried, str) or _compact_number(carried) != _compact_number(number):
        result.update(
            status="mismatch",
            valid=False,
            error="mismatch",
            reason=f"the credential is of number {_printable(carried)}, "
            f"not of {_printable(number)}",
        )
    return result


def _human(result: Mapping[str, Any]) -> str:
    fields = result["fields"]
    if result["status"] == "unverified":
        lines = [f"NOT VERIFIED: {result['reason']}", f"  Number:  {result['number']}"]
        lines += [f"  checked: {_printable(item)}" for item in result["checked"]]
        return "\n".join([*lines, result["note"]]) + "\n"
    if fields is None:
        headline = HEADLINES[_headline_status(str(result["error"]))]
        return f"{headline}: {_printable(result['reason'])}\n"
    if result["status"] == "mismatch":
        lines = [f"MISMATCH: {result['reason']}; the signature itself is genuine"]
    elif result["status"] == "revoked":
        lines = [f"REVOKED: {result['reason']}; the signature itself is genuine"]
    elif result["status"] == "expired":
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


class SourceError(ValueError):
    """A SOURCE, file or URL that cannot be read as a credential."""


def _read_file(path: Path) -> bytes:
    with path.open("rb") as handle:
        data = handle.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        raise SourceError(f"{str(path)!r} is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB")
    return data


def fetch(url: str) -> bytes:
    """Download one http(s) resource, bounded in size and time."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(f"only http(s) URLs can be fetched, not {url[:80]!r}")
    request = urllib.request.Request(url, headers={"Accept": "application/vc+jwt"})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:  # noqa: S310 - scheme checked above
            data = response.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot download {url[:200]!r}: {exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise SourceError(f"{url[:200]!r} is larger than this verifier reads")
    return data


def credential_url(url: str) -> str | None:
    """Where the credential of a QR code's ``.../c/<number>.<key>`` link is downloaded."""
    parts = urllib.parse.urlsplit(url)
    base, marker, code = parts.path.rpartition("/c/")
    number, dot, key = code.partition(".")
    if not marker or not dot or not number or "/" in code:
        return None
    query = urllib.parse.urlencode({"k": key})
    path = f"{base}/certificates/{urllib.parse.quote(number)}/credential.jwt"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def jws_in_pdf(data: bytes) -> str | None:
    """The credential a certificate PDF carries as its attachment (plain or deflated)."""
    chunks = [data]
    for match in _PDF_STREAM.finditer(data):
        try:
            chunks.append(zlib.decompressobj().decompress(match.group(1), MAX_INPUT_BYTES))
        except zlib.error:
            continue
    for chunk in chunks:
        for found in _JWS_IN_TEXT.finditer(chunk):
            token = found.group(0).decode("ascii")
            try:
                if tokens.jws_header(token).get("typ") == "vc+jwt":
                    return token
            except tokens.TokenError:
                continue
    return None


def _from_json(text: str) -> tuple[str, dict[str, Any] | None]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"the .json file is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise SourceError("the .json file is not a credential object")
    envelope = str(document.get("id") or "")
    if "EnvelopedVerifiableCredential" in (document.get("type") or []) and envelope.startswith(
        "data:application/vc+jwt,"
    ):
        return envelope.partition(",")[2], None
    proof = document.pop("proof", None)
    jwt = proof.get("jwt") if isinstance(proof, dict) else None
    if not isinstance(jwt, str):
        raise SourceError("the .json credential carries no JWT proof: verify its .jwt file instead")
    return jwt, document


def read_source(source: str) -> tuple[str, dict[str, Any] | None]:
    """The token a SOURCE holds, and the credential a .json showed beside it."""
    if source == READ_STDIN:
        source = sys.stdin.read()
    text = source.strip()
    if re.match(r"https?://", text):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(text).query)
        if query.get("t"):
            return query["t"][0], None
        target = credential_url(text)
        if target is None:
            raise SourceError("this URL is not a certificate's QR code link (.../c/<number>.<key>)")
        return fetch(target).decode("ascii", "replace").strip(), None
    if tokens.is_jws(text) or text.startswith(f"{tokens.TOKEN_VERSION}."):
        return text, None
    path = Path(text)
    if text and len(text) < 1024 and path.is_file():
        data = _read_file(path)
        if data.lstrip()[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
            token = jws_in_pdf(data)
            if token is None:
                raise SourceError(f"{text!r} is a PDF without a credential attached")
            return token, None
        content = data.decode("utf-8", "replace").strip()
        if content.startswith("{"):
            return _from_json(content)
        return content, None
    if text.startswith("{"):
        return _from_json(text)
    return text, None


def load_status_lists(
    paths: Sequence[Path], public_keys: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Signed status lists from files, checked against the JWKS, by their ``id``."""
    lists: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            text = _read_file(path).decode("ascii").strip()
            _header, credential = tokens.verify_jws(text, public_keys)
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read status list {str(path)!r}: {exc}") from None
        except tokens.TokenError as exc:
            raise SourceError(f"status list {str(path)!r} is not trustworthy: {exc}") from None
        if "BitstringStatusListCredential" not in (credential.get("type") or []):
            raise SourceError(f"{str(path)!r} is not a BitstringStatusListCredential")
        lists[str(credential.get("id"))] = credential
    return lists


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
    today = args.on or dt.date.today()
    try:
        status_lists = load_status_lists(args.status_lists, public_keys)
        number_only = args.number is None and _looks_like_number(args.token.strip())
        if not number_only:
            token, claimed = read_source(args.token)
    except (SourceError, OSError) as exc:
        return _usage_error(str(exc), args.as_json)
    if number_only:
        result = check_number_only(args.token, today)
    else:
        result = evaluate(token, public_keys, today, status_lists, claimed)
        if args.number is not None:
            result = expect_number(result, args.number)
    if args.as_json:
        # ASCII escapes keep the JSON valid whatever the console's encoding.
        print(json.dumps(result, sort_keys=True, indent=2))
    else:
        sys.stdout.write(_human(result))
    if result["status"] == "unverified":
        return EXIT_UNVERIFIED
    return EXIT_VALID if result["valid"] else EXIT_INVALID


if __name__ == "__main__":
    raise SystemExit(main())
