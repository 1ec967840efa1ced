"""The offline shell of the lesson player: the service worker, the web app
manifest, the favicon and the offline page (the sync API stays in views.py,
where hosts exempt it from CSRF by name). Registered on the courses blueprint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from flask import (
    Response,
    render_template,
    url_for,
)

from lms.courses.views import bp
from lms.i18n import _
from lms.state import get_state
from lms.web import static_url

STATIC_DIR = Path(__file__).resolve().parent.parent / "static" / "lms"

# --- Offline: service worker and sync ----------------------------------------


#: The files every learning page links: the service worker keeps them from its install on.
SHELL_ASSETS = ("lms/style.css", "lms/queue.js", "lms/player.js", "lms/quiz.js", "lms/icon.svg")


def _worker_config() -> dict[str, Any]:
    # The exact URLs pages link (with their ?v= hash): a cached copy under
    # another URL would not match, and a first visit would go offline unstyled.
    precache = [static_url(name) for name in SHELL_ASSETS]
    offline = url_for("lms.courses.offline")
    config: dict[str, Any] = {
        "precache": [*precache, offline],
        "offline": offline,
        "queue": static_url("lms/queue.js"),
        "sync": url_for("lms.courses.sync"),
    }
    digest = hashlib.sha256((STATIC_DIR / "sw.js").read_bytes())
    digest.update(json.dumps(config, sort_keys=True).encode())
    config["version"] = digest.hexdigest()[:12]
    return config


@bp.route("/sw.js")
def service_worker() -> Response:
    # Served from the LMS root, not /lms-static/, so its scope covers every LMS page.
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    body = source.replace("__CONFIG__", json.dumps(_worker_config()), 1)
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = (get_state().url_prefix or "") + "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/favicon.ico")
def favicon() -> Response:
    # Browsers ask for it at the root whatever the page links; the SVG serves.
    response = Response((STATIC_DIR / "icon.svg").read_bytes(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/manifest.webmanifest")
def manifest() -> Response:
    # What "add to home screen" needs: a name, the start page, icons.
    home = url_for("lms.courses.home")
    body = {
        "name": _("Skills training"),
        "short_name": _("Skills training"),
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": static_url("lms/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": static_url("lms/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("lms/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@bp.route("/offline")
def offline() -> Any:
    return render_template("lms/courses/offline.html")
