"""`make lighthouse`: Lighthouse's mobile preset on the rider's main screens.

1. A fresh SQLite database with the shipped content and the demo accounts.
2. The app under the production gunicorn config on loopback.
3. The npm `lighthouse` package (installed once into LMS_LIGHTHOUSE_DIR) drives
   Debian's Chromium, signed in as the demo learner, on the home page, a lesson
   step, the one-question quiz screen and the public verification page.
4. Each page is measured RUNS times and the median score is printed, because a
   single run on a shared machine swings by several points.

Exit status 1 when a median is under 100 in performance or accessibility.
Not part of CI: it needs npm's registry once and takes a few minutes.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("LMS_LIGHTHOUSE_PORT", "8321"))
BASE = f"http://127.0.0.1:{PORT}"
RUNS = int(os.environ.get("LMS_LIGHTHOUSE_RUNS", "3"))
TOOL_DIR = Path(os.environ.get("LMS_LIGHTHOUSE_DIR", Path.home() / ".cache" / "lms-lighthouse"))
CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CATEGORIES = ("performance", "accessibility")


class _KeepRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def install_lighthouse() -> Path:
    """The lighthouse CLI, installed with npm on first use."""
    cli = TOOL_DIR / "node_modules" / ".bin" / "lighthouse"
    if not cli.exists():
        TOOL_DIR.mkdir(parents=True, exist_ok=True)
        print(f"Installing the npm lighthouse package into {TOOL_DIR}", flush=True)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is missing: sudo apt-get install npm")
        subprocess.run(
            [npm, "install", "--prefix", str(TOOL_DIR), "--no-audit", "--no-fund", "lighthouse"],
            check=True,
        )
    return cli


def flask(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "lms.app", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def prepare(env: dict[str, str]) -> str:
    """Migrate, import the content, create the demo accounts; the learner's password."""
    flask(env, "db", "upgrade")
    flask(env, "lms", "content", "import")
    demo = flask(env, "lms", "demo")
    found = re.search(r"learner\s+(\d+)\s+(\S+)", demo)
    if found is None:
        raise SystemExit(f"`flask lms demo` printed no learner account:\n{demo}")
    return found.group(2)


def wait_until_up(server: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped while starting")
        try:
            urllib.request.urlopen(BASE + "/verify", timeout=2)  # noqa: S310 (loopback)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in 20 s")


def sign_in(phone: str, password: str) -> tuple[str, str]:
    """The demo learner's cookie header, and the URL of a started quiz attempt."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _KeepRedirect)

    def csrf(path: str) -> str:
        page = opener.open(BASE + path).read().decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    form = {"csrf_token": csrf("/login"), "phone": phone, "password": password}
    try:
        opener.open(BASE + "/login", urllib.parse.urlencode(form).encode())
    except urllib.error.HTTPError as redirect:
        if redirect.code != 302 and redirect.code != 303:
            raise
    token = csrf("/courses/legal-safety/quiz")
    try:
        opener.open(BASE + "/courses/legal-safety/quiz/start", f"csrf_token={token}".encode())
        raise SystemExit("starting the quiz did not redirect to the attempt")
    except urllib.error.HTTPError as redirect:
        attempt = redirect.headers["Location"]
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, urllib.parse.urljoin(BASE, attempt)


def measure(cli: Path, url: str, headers: Path) -> dict[str, float]:
    """One Lighthouse run: score per category, and the load metrics."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run(
            [
                str(cli),
                url,
                f"--extra-headers={headers}",
                "--chrome-flags=--headless=new --no-sandbox",
                f"--only-categories={','.join(CATEGORIES)}",
                "--output=json",
                f"--output-path={report.name}",
                "--quiet",
            ],
            env={**os.environ, "CHROME_PATH": CHROMIUM},
            check=True,
        )
        result = json.loads(Path(report.name).read_text())
    scores = {name: result["categories"][name]["score"] * 100 for name in CATEGORIES}
    audits = result["audits"]
    scores["lcp_ms"] = audits["largest-contentful-paint"]["numericValue"]
    scores["cls"] = audits["cumulative-layout-shift"]["numericValue"]
    scores["kib"] = audits["total-byte-weight"]["numericValue"] / 1024
    return scores


def main() -> int:
    cli = install_lighthouse()
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "LMS_SECRET_KEY": secrets.token_hex(32),
            "LMS_DATABASE_URL": f"sqlite:///{scratch}/lighthouse.sqlite",
        }
        env.pop("LMS_REDIS_URL", None)
        password = prepare(env)
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "lms:create_app()"],
            env={
                **env,
                "LMS_BIND": f"127.0.0.1:{PORT}",
                "LMS_WORKERS": "2",
                "LMS_ACCESS_LOG": "/dev/null",
            },
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_up(server)
            cookie, quiz = sign_in("13800000001", password)
            headers = Path(scratch) / "headers.json"
            headers.write_text(json.dumps({"Cookie": cookie}))
            pages = {
                "home": BASE + "/",
                "lesson": BASE + "/courses/legal-safety/lessons/ls-helmet?step=situation",
                "quiz": quiz,
                "verify": BASE + "/verify",
            }
            below = []
            for name, url in pages.items():
                runs = [measure(cli, url, headers) for _ in range(RUNS)]
                median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
                print(
                    f"lighthouse {name}: performance {median['performance']:.0f} "
                    f"accessibility {median['accessibility']:.0f} "
                    f"(median of {RUNS}; runs {[round(r['performance']) for r in runs]}) "
                    f"LCP {median['lcp_ms']:.0f} ms CLS {median['cls']:.3f} "
                    f"{median['kib']:.1f} KiB",
                    flush=True,
                )
                below += [name for key in CATEGORIES if median[key] < 100]
        finally:
            server.terminate()
            server.wait(timeout=30)
    if below:
        print(f"under 100: {', '.join(sorted(set(below)))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
