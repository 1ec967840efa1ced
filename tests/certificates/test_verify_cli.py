"""The offline verifier, run the way a third party would: in a subprocess."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms.certificates import tokens as t

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "lms" / "certificates" / "verify.py"
TOKENS = ROOT / "lms" / "certificates" / "tokens.py"

FIELDS: dict[str, Any] = {
    "number": "LMS-7K2M-QX4D-9B3N-T5",
    "holder": "李四",
    "kind": "skills_training",
    "track": "快递员 / courier",
    "course": "包裹安全搬运",
    "level": "中级",
    "issued": "2025-03-01",
    "expires": "2099-12-31",
    "issuer": "LMS 培训中心",
    "hours": 16,
    "verify_url": "https://lms.example.cn/certificates/verify/LMS7K2MQX4D9B3NT5",
}


def run(*args: str | Path, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, *map(str, args)],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def kid(key: Ed25519PrivateKey) -> str:
    return t.kid_for(key.public_key())


@pytest.fixture()
def jwks_file(tmp_path: Path, key: Ed25519PrivateKey, kid: str) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(t.jwks({kid: key.public_key()})), encoding="utf-8")
    return path


@pytest.fixture()
def token(key: Ed25519PrivateKey, kid: str) -> str:
    return t.sign_certificate(FIELDS, key, kid)


def verify(
    token: str, jwks: Path, *extra: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    # Run from the JWKS's folder, not the repository, so nothing is found by accident.
    return run(SCRIPT, token, "--jwks", jwks, *extra, cwd=jwks.parent, stdin=stdin)


def test_valid_token(token: str, jwks_file: Path, kid: str) -> None:
    result = verify(token, jwks_file)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("VALID:")
    assert kid in out
    for name in (
        "number",
        "holder",
        "kind",
        "track",
        "course",
        "level",
        "issued",
        "expires",
        "issuer",
    ):
        assert str(FIELDS[name]) in out, name
    assert "Hours:" in out and "16" in out
    assert (
        "offline check: revocation not checked; check online at "
        "https://lms.example.cn/certificates/verify/LMS7K2MQX4D9B3NT5"
    ) in out
    assert result.stderr == ""


def test_valid_token_as_json(token: str, jwks_file: Path, kid: str) -> None:
    result = verify(token, jwks_file, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "valid" and report["valid"] is True
    assert report["fields"] == FIELDS
    assert report["kid"] == kid
    assert report["revocation_checked"] is False
    assert report["verify_url"] == FIELDS["verify_url"]
    assert "revocation not checked" in report["note"]
    assert report["checked_on"] == dt.date.today().isoformat()
    assert result.stdout.isascii()  # safe on any console


def test_valid_token_via_module_form(token: str, jwks_file: Path) -> None:
    result = run("-m", "lms.certificates.verify", token, "--jwks", jwks_file, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("VALID:")


def test_token_from_stdin(token: str, jwks_file: Path) -> None:
    result = verify("-", jwks_file, stdin=token + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("VALID:")


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_tampered_token(name: str, token: str, jwks_file: Path) -> None:
    version, kid, _, signature = token.split(".")
    forged = dict(FIELDS, **{name: "2098-01-01" if name in ("issued", "expires") else 1})
    payload = t._b64url_encode(t.canonical_payload(forged))
    result = verify(f"{version}.{kid}.{payload}.{signature}", jwks_file)
    assert result.returncode == 1
    assert result.stdout.startswith("BAD SIGNATURE: signature does not match")
    assert FIELDS["holder"] not in result.stdout  # nothing of a forgery is shown


def test_tampered_token_as_json(token: str, jwks_file: Path) -> None:
    result = verify(token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"), jwks_file, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "invalid" and report["valid"] is False
    assert report["error"] in ("bad_signature", "malformed")
    assert report["fields"] is None


def test_expired_token(key: Ed25519PrivateKey, kid: str, jwks_file: Path) -> None:
    fields = dict(FIELDS, issued="2020-01-01", expires="2021-06-30")
    expired = t.sign_certificate(fields, key, kid)

    result = verify(expired, jwks_file)
    assert result.returncode == 1
    assert result.stdout.startswith("EXPIRED: certificate expired on 2021-06-30")
    assert FIELDS["number"] in result.stdout
    assert "revocation not checked" in result.stdout

    as_json = json.loads(verify(expired, jwks_file, "--json").stdout)
    assert as_json["status"] == "expired" and as_json["valid"] is False

    # The expiry day itself is still valid; the day after is not.
    assert verify(expired, jwks_file, "--on", "2021-06-30").returncode == 0
    assert verify(expired, jwks_file, "--on", "2021-07-01").returncode == 1


def test_token_signed_by_another_key(jwks_file: Path, kid: str) -> None:
    stranger = Ed25519PrivateKey.generate()
    stranger_kid = t.kid_for(stranger.public_key())
    unknown = verify(t.sign_certificate(FIELDS, stranger, stranger_kid), jwks_file)
    assert unknown.returncode == 1
    assert unknown.stdout.startswith("UNKNOWN KEY:")
    assert "not a trusted key" in unknown.stdout and stranger_kid in unknown.stdout

    # A forger who claims our key id.
    forged = verify(t.sign_certificate(FIELDS, stranger, kid), jwks_file)
    assert forged.returncode == 1
    assert forged.stdout.startswith("BAD SIGNATURE: signature does not match")


def test_key_rotation_jwks(tmp_path: Path, key: Ed25519PrivateKey, kid: str, token: str) -> None:
    new = Ed25519PrivateKey.generate()
    new_kid = t.kid_for(new.public_key())
    path = tmp_path / "rotated.json"
    path.write_text(json.dumps(t.jwks({new_kid: new.public_key(), kid: key.public_key()})))
    assert verify(token, path).returncode == 0
    assert verify(t.sign_certificate(FIELDS, new, new_kid), path).returncode == 0


@pytest.mark.parametrize(
    "garbage", ["", "hello", "v1.a.b.c", "v1...", "v9.a.b.c", "v1.k.ünïcode.x"]
)
def test_garbage_token(garbage: str, jwks_file: Path) -> None:
    result = verify(garbage, jwks_file)
    assert result.returncode == 1
    assert result.stdout.startswith("INVALID:")
    assert "Traceback" not in result.stderr


def test_truncated_token(token: str, jwks_file: Path) -> None:
    result = verify(token[: len(token) // 2], jwks_file)
    assert result.returncode == 1
    assert result.stdout.startswith("INVALID: token must have 4 dot-separated parts")


def test_missing_jwks_file(token: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    result = verify(token, missing)
    assert result.returncode == 2
    assert "cannot read JWKS file" in result.stderr and "nowhere.json" in result.stderr
    assert result.stdout == ""

    as_json = verify(token, missing, "--json")
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["status"] == "error"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "{}",
        '{"keys": []}',
        '{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"}]}',
        '{"keys": [{"kty": "OKP", "crv": "X25519", "x": "AAAA", "kid": "x"}]}',
    ],
)
def test_unusable_jwks_file(content: str, token: str, tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(content, encoding="utf-8")
    result = verify(token, path)
    assert result.returncode == 2
    assert "is not usable" in result.stderr


def test_jwks_file_that_is_a_directory(token: str, tmp_path: Path) -> None:
    result = run(SCRIPT, token, "--jwks", tmp_path, cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot read JWKS file" in result.stderr


@pytest.mark.parametrize(
    "args",
    [[], ["v1.a.b.c"], ["--jwks", "x.json"], ["tok", "--jwks", "x.json", "--on", "soon"]],
)
def test_usage_errors(args: list[str], tmp_path: Path) -> None:
    result = run(SCRIPT, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_help(tmp_path: Path) -> None:
    result = run(SCRIPT, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--jwks" in result.stdout and "Exit codes" in result.stdout


def test_without_verify_url_says_so(key: Ed25519PrivateKey, kid: str, jwks_file: Path) -> None:
    fields = {k: v for k, v in FIELDS.items() if k != "verify_url"}
    result = verify(t.sign_certificate(fields, key, kid), jwks_file)
    assert result.returncode == 0
    assert "offline check: revocation not checked; the token carries no verify URL" in (
        result.stdout
    )


def test_control_characters_cannot_fake_output(
    key: Ed25519PrivateKey, kid: str, jwks_file: Path
) -> None:
    fields = dict(FIELDS, holder="Eve\nVALID: Mallory\u202e", kind="\x1b[2J")
    result = verify(t.sign_certificate(fields, key, kid), jwks_file)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("VALID")] == [lines[0]]
    assert "Eve\\u000aVALID: Mallory\\u202e" in result.stdout
    assert "\x1b" not in result.stdout


def test_copied_next_to_tokens_only(token: str, jwks_file: Path, tmp_path: Path) -> None:
    """A third party needs just verify.py and tokens.py in any folder."""
    folder = tmp_path / "standalone"
    folder.mkdir()
    shutil.copy(SCRIPT, folder / "verify.py")
    shutil.copy(TOKENS, folder / "tokens.py")
    result = run(folder / "verify.py", token, "--jwks", jwks_file, cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("VALID:")


def test_script_mode_imports_no_flask_or_database(
    token: str, jwks_file: Path, tmp_path: Path
) -> None:
    probe = textwrap.dedent(
        """
        import json, runpy, sys
        before = set(sys.modules)
        script, token, jwks = sys.argv[1:4]
        namespace = runpy.run_path(script, run_name="verify_probe")
        code = namespace["main"]([token, "--jwks", jwks, "--json"])
        numbers = sys.modules.get("numbers")
        print(json.dumps({
            "code": code,
            "new": sorted(set(sys.modules) - before),
            "tokens_file": namespace["tokens"].__file__,
            "numbers_file": getattr(numbers, "__file__", None),
        }))
        """
    )
    result = run("-c", probe, SCRIPT, token, jwks_file, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["code"] == 0
    assert Path(report["tokens_file"]).resolve() == TOKENS.resolve()

    new = set(report["new"])
    top_level = {name.split(".")[0] for name in new}
    for forbidden in (
        "flask",
        "sqlalchemy",
        "flask_sqlalchemy",
        "werkzeug",
        "jinja2",
        "psycopg",
        "lms",
    ):
        assert forbidden not in top_level, forbidden
    # Beyond the standard library only cryptography is loaded; its Rust extension
    # registers its OpenSSL bindings as the top-level name "_openssl".
    allowed = set(sys.stdlib_module_names) | {
        "cryptography",
        "_openssl",
        "_cffi_backend",
        "cffi",
        "lms_certificate_tokens_standalone",
        # numbers.py, loaded by path for check symbols: standard library only.
        "lms_certificate_numbers_standalone",
    }
    assert top_level <= allowed, sorted(top_level - allowed)
    # Our numbers.py sits next to verify.py and must not shadow the stdlib module.
    numbers_file = report["numbers_file"]
    assert numbers_file is None or Path(numbers_file).parent != SCRIPT.parent


# A real number: FIELDS' sample number has no matching check symbol.
NUMBER = "LMS-XVW7-8RMS-R2J3-EU"


def test_number_alone_is_not_verified_and_says_what_was_not_checked(jwks_file: Path) -> None:
    result = verify(NUMBER, jwks_file)
    assert result.returncode == 3, result.stderr
    assert result.stdout.startswith("NOT VERIFIED:")
    for unchecked in ("signature", "expiry", "revocation"):
        assert unchecked in result.stdout
    assert f"/verify/{NUMBER}" in result.stdout


def test_number_alone_as_json(jwks_file: Path) -> None:
    report = json.loads(verify(NUMBER.replace("-", "").lower(), jwks_file, "--json").stdout)
    assert report["status"] == "unverified"
    assert report["valid"] is False
    assert report["number"] == NUMBER
    assert report["checked"] == ["number format and check symbol"]
    assert "signature" in report["not_checked"]


def test_mistyped_number_is_invalid(jwks_file: Path) -> None:
    swapped = NUMBER[:4] + NUMBER[5] + NUMBER[4] + NUMBER[6:]
    result = verify(swapped, jwks_file)
    assert result.returncode == 1
    assert result.stdout.startswith("INVALID:")
    assert "check symbol" in result.stdout


def test_credential_with_its_number_is_valid(
    key: Ed25519PrivateKey, kid: str, jwks_file: Path
) -> None:
    token = t.sign_certificate({**FIELDS, "number": NUMBER}, key, kid)
    result = verify(token, jwks_file, "--number", NUMBER.replace("-", " "))
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("VALID:")


def test_credential_of_another_number_is_a_mismatch(token: str, jwks_file: Path) -> None:
    result = verify(token, jwks_file, "--number", NUMBER, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["status"] == "mismatch"
    assert report["valid"] is False


def test_help_documents_numbers_and_exit_codes(tmp_path: Path) -> None:
    result = run(SCRIPT, "--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--number" in text
    assert "NOT VERIFIED" in text
    assert "3 not verified" in text


def test_number_alone_copied_without_numbers_module(jwks_file: Path, tmp_path: Path) -> None:
    """With only verify.py and tokens.py the check symbol is listed as not checked."""
    folder = tmp_path / "standalone"
    folder.mkdir()
    shutil.copy(SCRIPT, folder / "verify.py")
    shutil.copy(TOKENS, folder / "tokens.py")
    result = run(folder / "verify.py", NUMBER, "--jwks", jwks_file, "--json", cwd=folder)
    assert result.returncode == 3, result.stderr
    report = json.loads(result.stdout)
    assert any("check symbol" in item for item in report["not_checked"])
