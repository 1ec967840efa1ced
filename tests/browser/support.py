"""Helpers for browser tests: a live server on a real port, accessibility checks,
and the few steps every browser test repeats (sign up, log in)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from lms.state import get_session

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 640}
PASSWORD = "correct-horse-42"


class ServerThread:
    """A threaded werkzeug server for one app, serving in the background."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def dispose(app: Flask) -> None:
    """Close the app's database connections, as a process exit would."""
    with app.app_context():
        get_session().remove()
        app.extensions["lms"].db.engine.dispose()


@dataclass
class LiveServer:
    """The LMS served over HTTP on 127.0.0.1: ``url`` is the base URL (no slash)."""

    app: Flask
    make: Any  # () -> Flask: a new app instance on the same database
    server: ServerThread
    apps: list[Flask] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def restart(self) -> None:
        """Stop the server and its app, then serve a new app instance on the same
        database and port: what a crash and restart of the process looks like."""
        port = self.server.port
        self.server.stop()
        dispose(self.app)
        self.app = self.make()
        self.apps.append(self.app)
        self.server = ServerThread(self.app, port)

    def stop(self) -> None:
        self.server.stop()
        for app in self.apps:
            dispose(app)


def axe_violations(page: Any, disable: tuple[str, ...] = ()) -> list[str]:
    """axe-core's violations on the current page, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if disable:
        options["rules"] = {rule: {"enabled": False} for rule in disable}
    results = Axe().run(page, options=options)
    found = []
    for violation in results.response["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"]]
        found.append(f"{violation['id']}: {violation['help']} at {targets}")
    return found


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 = no sideways scroll)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def sign_up(page: Any, base_url: str, phone: str, name: str = "Wang Xiaoming") -> None:
    """Create a learner account through the sign-up form; ends logged in on home."""
    page.goto(f"{base_url}/register")
    page.fill("#phone", phone)
    page.fill("#display_name", name)
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.click("main form button.primary")
    page.wait_for_url(f"{base_url}/")


def log_in(page: Any, base_url: str, phone: str, password: str = PASSWORD) -> None:
    """Log in through the login form; ends on home."""
    page.goto(f"{base_url}/login")
    page.fill("#phone", phone)
    page.fill("#password", password)
    page.click("main form button.primary")
    page.wait_for_url(f"{base_url}/")
