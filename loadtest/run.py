"""`make loadtest`: how many riders one CPU core carries, measured.

1. A fresh PostgreSQL database with the shipped content and seeded learners.
2. The app under the production gunicorn config, pinned to one core.
3. Locust, pinned to the other core, ramps riders in stages until the p95
   response time of a stage passes 1 s: the last stage under it is the answer.
4. Verification throughput against a minimal Flask route under the same
   gunicorn config, on the same core: three rounds of 10 s each, the best of
   each route (LOAD_SKIP_RAMP=1 measures only this part).
5. Throughout the ramp, ``LOAD_STREAMS`` (200) riders hold a live case's event
   stream open on the stream server (deploy/gunicorn-stream.conf.py, gevent,
   the app's core too) while the case changes once a second (loadtest/streams.py):
   the rider mix's p95 is measured with them open.
6. The rider mix without pauses against two fresh app servers started
   together, one with xAPI off and one with xAPI on (statements written to
   the outbox, an outbox worker delivering them to a stand-in LRS on the
   client core): a warm-up, then LOAD_MIX_ROUNDS (6) rounds in alternating
   order, answered requests only; the median of the per-round ratios, then
   every statement must have arrived (LOAD_SKIP_XAPI=1 leaves this phase out).
Everything runs on loopback and stops by itself. The per-client rate limit is
off: every simulated client shares one address. In production it adds one
Redis round trip to each certificate lookup.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
# Run as a script only loadtest/ is on the path: the app's own checkout comes
# first, so this run measures this tree's code (as the servers it starts do).
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get(
    "LMS_LOADTEST_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# Several people may share one machine: database, Redis db and ports can be chosen.
DATABASE = os.environ.get("LMS_LOADTEST_DATABASE", "lms_loadtest")
REDIS_URL = os.environ.get("LMS_LOADTEST_REDIS_URL", "redis://127.0.0.1:6379/11")
LEARNERS = int(os.environ.get("LOAD_LEARNERS", "8000"))
APP_CORES = "1"
CLIENT_CORES = "0"
PORT = int(os.environ.get("LOAD_PORT", "8311"))
HELLO_PORT = int(os.environ.get("LOAD_HELLO_PORT", "8312"))
STREAM_PORT = int(os.environ.get("LOAD_STREAM_PORT", "8313"))
STREAMS = int(os.environ.get("LOAD_STREAMS", "200"))
XAPI_PORT = int(os.environ.get("LOAD_XAPI_PORT", "8315"))
XAPI_OFF_PORT = int(os.environ.get("LOAD_XAPI_OFF_PORT", "8317"))
LRS_PORT = int(os.environ.get("LOAD_LRS_PORT", "8316"))
THROUGHPUT_ROUNDS = 3
# Enough busy riders to keep one app core full, few enough for one client core.
MIX_USERS = int(os.environ.get("LOAD_MIX_USERS", "48"))
MIX_SECONDS = int(os.environ.get("LOAD_MIX_SECONDS", "20"))
MIX_ROUNDS = int(os.environ.get("LOAD_MIX_ROUNDS", "6"))


def pinned(cores: str, command: list[str]) -> list[str]:
    """Run a command on the given cores when taskset exists (and there are 2+ cores)."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cores, *command]
    return command


def fresh_database() -> str:
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return sa.make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)


def wait_until_up(url: str) -> None:
    # Generous: on a busy shared machine a worker takes seconds to import the app.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def gunicorn(
    app: str,
    port: int,
    env: dict[str, str],
    log: Path,
    config: str = "deploy/gunicorn.conf.py",
) -> subprocess.Popen[bytes]:
    env = {
        **env,
        "LMS_BIND": f"127.0.0.1:{port}",
        "LMS_STREAM_BIND": f"127.0.0.1:{port}",
        "LMS_STREAM_WORKERS": "1",
        "LMS_WORKERS": env.get("LMS_WORKERS", "2"),
        "LMS_THREADS": env.get("LMS_THREADS", "4"),
        "LMS_ACCESS_LOG": str(log),
    }
    return subprocess.Popen(
        pinned(APP_CORES, [str(BIN / "gunicorn"), "-c", config, app]),
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def locust(env: dict[str, str], host: str, users: list[str], extra: list[str]) -> None:
    subprocess.run(
        pinned(
            CLIENT_CORES,
            [
                str(BIN / "locust"),
                "-f",
                "loadtest/locustfile.py",
                "--headless",
                "--host",
                host,
                "--only-summary",
                "--loglevel",
                "WARNING",
                *extra,
                *users,
            ],
        ),
        cwd=ROOT,
        env=env,
        check=False,
        timeout=900,
    )


def requests_per_s(
    env: dict[str, str], host: str, user: str, users: int, seconds: int, work: Path
) -> float:
    """Requests/s of one headless locust run of ``users`` users of one class."""
    stats = work / f"rps{time.monotonic_ns()}"
    locust(
        env,
        host,
        [user],
        ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--csv", str(stats)],
    )
    with (stats.parent / f"{stats.name}_stats.csv").open(encoding="utf-8") as handle:
        rows = [line.split(",") for line in handle.read().splitlines()]
    header, total = rows[0], rows[-1]
    requests = float(total[header.index("Request Count")])
    failures = float(total[header.index("Failure Count")])
    # Only answered requests count: a failing request is cheap, and counting
    # it would let a broken side of a comparison look faster.
    answered = 1 - failures / requests if requests else 0.0
    return float(total[header.index("Requests/s")]) * answered


def throughput(env: dict[str, str], host: str, path: str, work: Path, seconds: int = 10) -> float:
    env = {**env, "LOAD_MODE": "throughput", "LOAD_THROUGHPUT_PATH": path}
    return requests_per_s(env, host, "Throughput", 32, seconds, work)


def undelivered(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.text("SELECT count(*) FROM lms_xapi_outbox WHERE delivered_at IS NULL")
            ).scalar_one()
    finally:
        engine.dispose()


def xapi_phase(env: dict[str, str], url: str, work: Path) -> dict[str, float]:
    """The rider mix's throughput with xAPI off and on, and what reached the LRS."""
    sink = subprocess.Popen(
        pinned(
            CLIENT_CORES,
            [str(BIN / "gunicorn"), "-w", "1", "-k", "gthread", "--threads", "8"]
            + ["-b", f"127.0.0.1:{LRS_PORT}", "loadtest.lrs_sink:app"],
        ),
        cwd=ROOT,
        stdout=(work / "lrs.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    xapi_env = {**env, "LMS_XAPI_ENDPOINT": f"http://127.0.0.1:{LRS_PORT}/xapi"}
    # Two fresh servers started together, alike but for xAPI: the server of
    # the earlier phases has served for minutes and would not compare fairly.
    off = gunicorn("lms:create_app()", XAPI_OFF_PORT, env, work / "app-xapi-off.log")
    on = gunicorn("lms:create_app()", XAPI_PORT, xapi_env, work / "app-xapi.log")
    worker = subprocess.Popen(
        pinned(CLIENT_CORES, [str(BIN / "flask"), "lms", "outbox", "worker", "--interval", "1"]),
        cwd=ROOT,
        env=xapi_env,
        stdout=(work / "worker.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    mix = {**env, "LOAD_MODE": "mix"}
    hosts = {"off": f"http://127.0.0.1:{XAPI_OFF_PORT}", "on": f"http://127.0.0.1:{XAPI_PORT}"}
    try:
        wait_until_up(f"http://127.0.0.1:{XAPI_OFF_PORT}/healthz")
        wait_until_up(f"http://127.0.0.1:{XAPI_PORT}/healthz")
        rates: dict[str, list[float]] = {name: [] for name in hosts}
        # A warm-up run each, then rounds in alternating order (off, on; on,
        # off; ...) so a slow spell on a shared machine and the data growing
        # over the run weigh on both sides alike.
        for host in hosts.values():
            requests_per_s(mix, host, "BusyRider", MIX_USERS, 5, work)
        for number in range(MIX_ROUNDS):
            order = list(hosts) if number % 2 == 0 else list(reversed(hosts))
            for name in order:
                rate = requests_per_s(mix, hosts[name], "BusyRider", MIX_USERS, MIX_SECONDS, work)
                rates[name].append(rate)
        deadline = time.monotonic() + 120
        while undelivered(url) and time.monotonic() < deadline:
            time.sleep(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{LRS_PORT}/count", timeout=5) as reply:
            received = json.loads(reply.read())
    finally:
        for process in (worker, on, off, sink):
            process.terminate()
            process.wait(timeout=30)
    ratios = [on / off for on, off in zip(rates["on"], rates["off"], strict=True) if off]
    return {
        "off": statistics.median(rates["off"]),
        "on": statistics.median(rates["on"]),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "received": received["statements"],
        "left": undelivered(url),
    }


def worker_memory_mb(master: int) -> list[float]:
    """Resident memory of each worker of a gunicorn master, in MB (Linux /proc)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    sizes = []
    for child in children:
        try:
            status = Path(f"/proc/{child}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def ramp(env: dict[str, str], work: Path) -> list[dict]:
    """Riders in growing stages until a stage's p95 passes 1 s."""
    results = work / "stages.json"
    locust(
        {**env, "LOAD_MODE": "riders", "LOAD_RESULTS": str(results)},
        f"http://127.0.0.1:{PORT}",
        ["Rider"],
        ["-t", "420s"],
    )
    return json.loads(results.read_text()) if results.exists() else []


def open_streams(env: dict[str, str], cookies: Path) -> tuple[Any, Any]:
    """``STREAMS`` seeded riders checked in to a live case, each holding its stream."""
    for key in ("LMS_DATABASE_URL", "LMS_REDIS_URL", "LMS_SECRET_KEY"):
        os.environ[key] = env[key]
    from lms import create_app
    from loadtest.streams import Changes, StreamHolder, learner_ids, seed_live_case

    app = create_app()
    riders = cookies.read_text(encoding="ascii").split()[:STREAMS]
    with app.app_context():
        session_id = seed_live_case(learner_ids(len(riders)))
    holder = StreamHolder(STREAM_PORT, f"/sessions/{session_id}/live/events", riders)
    holder.start()
    changes = Changes(app, session_id)
    changes.start()
    deadline = time.monotonic() + 60
    while holder.open < len(riders) and time.monotonic() < deadline:
        time.sleep(0.5)
    print(f"live streams open before the ramp: {holder.open} of {len(riders)}")
    return holder, changes


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="lms-loadtest-"))
    url = fresh_database()
    env = {
        **os.environ,
        "FLASK_APP": "lms",
        "LMS_DATABASE_URL": url,
        "LMS_SECRET_KEY": "load-test-secret-0123456789abcdef0123",
        "LMS_REDIS_URL": REDIS_URL,
        "LMS_RATELIMIT_STORAGE_URL": REDIS_URL,
        # every simulated client shares one address: per-client limits would
        # measure the limiter, not the app
        "LMS_RATELIMIT_ENABLED": "false",
        "LMS_LOG_JSON": "true",
        "LMS_SIGNING_KEY_FILE": str(work / "signing.pem"),
    }
    from lms.certificates.tokens import generate_key

    (work / "signing.pem").write_text(generate_key()[0], encoding="ascii")
    for command in (["db", "upgrade"], ["lms", "content", "import"]):
        subprocess.run(
            [str(BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    cookies = work / "cookies.txt"
    seeded = subprocess.run(
        [sys.executable, "loadtest/seed.py", str(LEARNERS), str(cookies)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    certificate = seeded.stdout.strip().splitlines()[-1]
    env.update(LOAD_COOKIES=str(cookies), LOAD_CERTIFICATE=certificate)
    app_cores = len(APP_CORES.split(",")) if (os.cpu_count() or 1) > 1 else os.cpu_count() or 1
    server = gunicorn("lms:create_app()", PORT, env, work / "app.log")
    hello = gunicorn("loadtest.hello:app", HELLO_PORT, env, work / "hello.log")
    streamer = gunicorn(
        "lms:create_app()", STREAM_PORT, env, work / "stream.log", "deploy/gunicorn-stream.conf.py"
    )
    holder = changes = None
    try:
        wait_until_up(f"http://127.0.0.1:{PORT}/healthz")
        wait_until_up(f"http://127.0.0.1:{HELLO_PORT}/hello")
        wait_until_up(f"http://127.0.0.1:{STREAM_PORT}/healthz")
        if STREAMS:
            holder, changes = open_streams(env, cookies)
        stages = [] if os.environ.get("LOAD_SKIP_RAMP") else ramp(env, work)
        if holder is not None and changes is not None:
            print(
                f"live streams during the ramp: {holder.open} of {STREAMS} open at its end, "
                f"{holder.events} events and {holder.keepalives} keep-alives received, "
                f"{changes.published} changes published, {holder.reconnects} reconnects, "
                f"{holder.errors} errors"
            )
        for stage in stages:
            print(
                f"  {stage['users']:>5} riders: p95 {stage['p95_ms']:.0f} ms over "
                f"{stage['requests']} requests ({stage.get('requests_per_s', 0):.0f}/s)"
            )
        carried = max((s["users"] for s in stages if s["p95_ms"] <= 1000), default=0)
        app_host, hello_host = f"http://127.0.0.1:{PORT}", f"http://127.0.0.1:{HELLO_PORT}"
        paths = {
            "hello": (hello_host, "/hello"),
            "page": (app_host, f"/verify/{certificate}"),
            "api": (app_host, f"/api/v1/certificates/{certificate}"),
        }
        # Rounds of all three, the best of each: other work on a shared
        # machine only ever slows a run down, and alternating lets a slow
        # spell hit every side of the ratio alike.
        best = dict.fromkeys(paths, 0.0)
        for _round in range(THROUGHPUT_ROUNDS):
            for name, (host, path) in paths.items():
                best[name] = max(best[name], throughput(env, host, path, work))
        hello_rps, verify_rps, api_rps = best["hello"], best["page"], best["api"]
        memory = worker_memory_mb(server.pid)
        xapi = None if os.environ.get("LOAD_SKIP_XAPI") else xapi_phase(env, url, work)
    finally:
        for running in (holder, changes):
            if running is not None:
                running.close()
        for process in (server, hello, streamer):
            process.terminate()
            process.wait(timeout=30)
    print(f"app cores: {app_cores} (gunicorn 2 workers x 4 threads), learners seeded: {LEARNERS}")
    print(
        f"verify page {verify_rps:.0f} req/s, verify API {api_rps:.0f} req/s, "
        f"hello-world {hello_rps:.0f} req/s"
    )
    capped = bool(stages) and all(s["p95_ms"] <= 1000 for s in stages)
    print(
        f"learners per core at p95<=1s: {carried / app_cores:.0f}"
        + (" (the ramp's last stage: p95 never passed 1 s)" if capped else "")
    )
    carried_rps = max(
        (s.get("requests_per_s", 0.0) for s in stages if s["p95_ms"] <= 1000), default=0.0
    )
    print(f"rider mix requests/s per core: {carried_rps / app_cores:.0f} (at p95 <= 1 s)")
    for number, size in enumerate(memory, start=1):
        print(f"app worker {number} resident memory after the run: {size:.0f} MB")
    print(f"verify throughput ratio to hello-world: {verify_rps / hello_rps:.2f}")
    print(f"verify API throughput ratio to hello-world: {api_rps / hello_rps:.2f}")
    if xapi:
        print(
            f"rider mix without pauses: {xapi['off']:.0f} req/s with xAPI off, "
            f"{xapi['on']:.0f} req/s with xAPI delivery on ({MIX_USERS} riders, median of "
            f"{MIX_ROUNDS} rounds of {MIX_SECONDS} s, answered requests only)"
        )
        print("rider mix on/off ratio per round: " + ", ".join(f"{r:.3f}" for r in xapi["ratios"]))
        print(f"rider mix throughput ratio xAPI on/off: {xapi['ratio']:.3f} (median of rounds)")
        print(
            f"xAPI statements received by the LRS: {xapi['received']:.0f}, "
            f"still undelivered: {xapi['left']:.0f}"
        )


if __name__ == "__main__":
    main()
