"""Page weight and server speed of the main pages: ``make bench``.

Builds the standalone app on a temporary SQLite file with the shipped content,
logs a learner in with the test client and prints, for each main page, the
bytes a phone downloads (HTML plus the CSS and JS it references, gzip-compressed)
its median server response time as a ratio to a minimal Flask route timed
in the same run, so the numbers compare across machines, and the SQL
statements one request of it runs (transaction control not counted).
"""

from __future__ import annotations

import gzip
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.routing import BuildError

from lms.app import create_app
from lms.db import Base
from lms.extension import PACKAGE_DIR
from lms.state import get_session

REQUESTS = 60
BUDGET_KB = {"lesson": 30.0}
#: The most statements a page may run, and the most times the minimal route's
#: time it may take (tests/test_query_budgets.py holds the query budgets too).
BUDGET_QUERIES = {"home": 6, "levels": 6, "lesson": 6, "course": 5, "quiz": 8, "verify": 2}
BUDGET_RATIO = {"home": 12.0, "levels": 12.0, "lesson": 12.0}
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")
# Our stylesheet and script URLs end in ?v=<hash of the file> (``static_url``).
ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="([^"]+\.(?:css|js)(?:\?[^"]*)?)"')
PHONE, PASSWORD = "13900000000", "bench-password-1"


def build_app(folder: Path) -> Flask:
    """The standalone app on a fresh SQLite file with the shipped content."""
    from lms.courses.services import import_content
    from lms.levels.services import import_levels

    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "LMS_SECRET_KEY": "bench-secret-key-not-for-production",
            "LMS_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        }
    )

    @app.route("/__bench_minimal")
    def minimal() -> str:
        return "ok"

    with app.app_context():
        Base.metadata.create_all(app.extensions["lms"].db.engine)
        report = import_content(PACKAGE_DIR.parent / "content")
        get_session().commit()
        if not report.ok:
            raise SystemExit(f"content errors: {report.errors}")
        levels = import_levels(PACKAGE_DIR.parent / "content")
        get_session().commit()
        if not levels.ok:
            raise SystemExit(f"levels errors: {levels.errors}")
    return app


def statement_counter(app: Flask) -> list[str]:
    """A list that fills with every SQL statement the app runs from now on."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(statement)

    with app.app_context():
        event.listen(app.extensions["lms"].db.engine, "before_cursor_execute", note)
    return seen


def transferred_bytes(client: FlaskClient, html: bytes) -> int:
    """Gzip size of a page plus every stylesheet and script it references."""
    total = len(gzip.compress(html))
    for url in sorted(set(ASSET.findall(html.decode("utf-8")))):
        total += len(gzip.compress(client.get(url).data))
    return total


def median_seconds(fetch: Callable[[], Any], count: int = REQUESTS) -> float:
    """Median wall time of ``count`` calls, after one warm-up call."""
    fetch()
    timings = []
    for _ in range(count):
        start = time.perf_counter()
        fetch()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _quiz_url(app: Flask) -> str | None:
    with app.test_request_context():
        from flask import url_for

        try:
            return url_for("lms.assessments.quiz", course_key="legal-safety")
        except BuildError:
            return None


def main() -> int:
    """Print the lines of each main page; exit 1 when a page is over a budget."""
    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder))
        visitor = app.test_client()
        learner = app.test_client()
        learner.post(
            "/register",
            data={
                "phone": PHONE,
                "display_name": "Bench",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
        )
        learner.post("/stopped", data={"next": "/"})
        lesson = "/courses/legal-safety/lessons/ls-helmet?step=check"
        pages: list[tuple[str, FlaskClient, str]] = [
            ("home", learner, "/"),
            ("course", learner, "/courses/legal-safety"),
            ("lesson", learner, lesson),
        ]
        quiz = _quiz_url(app)
        if quiz:
            pages.append(("quiz", learner, quiz))
        pages.append(("levels", learner, "/levels"))
        pages.append(("verify", visitor, "/verify"))
        pages.append(("login", visitor, "/login"))
        headers = {"Accept-Language": "zh-CN"}
        seen = statement_counter(app)
        baseline = median_seconds(lambda: visitor.get("/__bench_minimal"))
        over = False
        for name, client, url in pages:
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                print(f"page {name} failed: HTTP {response.status_code} at {url}")
                over = True
                continue
            seen.clear()
            client.get(url, headers=headers)
            queries = len(seen)
            size_kb = transferred_bytes(client, response.data) / 1024
            ratio = median_seconds(lambda c=client, u=url: c.get(u, headers=headers)) / baseline
            print(f"page {name} queries: {queries}")
            print(
                f"page {name} transferred KB: {size_kb:.1f}, "
                f"response ratio to minimal route: {ratio:.1f}"
            )
            if size_kb > BUDGET_KB.get(name, float("inf")):
                print(f"  over budget: {name} must stay within {BUDGET_KB[name]:.0f} KB")
                over = True
            if queries > BUDGET_QUERIES.get(name, queries):
                print(f"  over budget: {name} must run at most {BUDGET_QUERIES[name]} queries")
                over = True
            if ratio > BUDGET_RATIO.get(name, float("inf")):
                print(f"  over budget: {name} must stay within {BUDGET_RATIO[name]:.0f}x")
                over = True
        with app.app_context():
            get_session().remove()
            app.extensions["lms"].db.engine.dispose()
    from lms.certificates.bench import run as certificate_bench

    certificate_bench()  # prints its own lines
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
