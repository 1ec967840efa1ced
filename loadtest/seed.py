"""Seed the load-test database: learners who can log in, and one certificate
for employers to verify. Run with the app's environment (LMS_DATABASE_URL)."""

from __future__ import annotations

import sys
import time

from flask import session as flask_session
from flask_login import login_user
from sqlalchemy import insert, select

from lms import create_app
from lms.accounts.login_sessions import LOGIN_SESSION_KEY, start_login_session
from lms.accounts.models import Profile, Role, User
from lms.accounts.services import hash_password
from lms.certificates.issuing import issue_certificate
from lms.certificates.models import CertificateKind
from lms.courses.views import VISIT_KEY
from lms.state import get_session

PASSWORD = "load-test-password"


def phone(index: int) -> str:
    return f"155{index:08d}"


def session_cookies(app, users: list[User]) -> list[str]:
    """Signed session cookies of logged-in learners, as a browser would hold them.

    Riders stay logged in for weeks; minting the cookies keeps password hashing
    (deliberately slow) out of a test of learning traffic.
    """
    serializer = app.session_interface.get_signing_serializer(app)
    cookies = []
    for user in users:
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
            login_user(user, remember=False)
            # A live login session, as the login form starts one: without it
            # the app treats the cookie as logged out (sessions that really end).
            flask_session[LOGIN_SESSION_KEY] = start_login_session(user)
            # The rider has tapped "I have stopped"; each lesson page renews it.
            flask_session[VISIT_KEY] = int(time.time())
            cookies.append(serializer.dumps(dict(flask_session)))
    get_session().commit()
    return cookies


def main(count: int, cookie_file: str) -> None:
    app = create_app()
    with app.app_context():
        session = get_session()
        # One scrypt hash for everyone: hashing thousands of passwords would
        # take minutes and measure nothing about the app.
        password_hash = hash_password(PASSWORD)
        session.execute(
            insert(User),
            [{"phone": phone(i), "password_hash": password_hash} for i in range(count)],
        )
        users = list(session.scalars(select(User).order_by(User.id)))
        session.execute(
            insert(Profile),
            [
                {"user_ref": str(user.id), "display_name": f"骑手{i}", "role": Role.LEARNER}
                for i, user in enumerate(users)
            ],
        )
        session.commit()
        with open(cookie_file, "w", encoding="ascii") as handle:
            handle.write("\n".join(session_cookies(app, users)))
        holder = session.scalar(select(Profile.id).order_by(Profile.id).limit(1))
        certificate = issue_certificate(
            profile_id=holder,
            kind=CertificateKind.TRAINING,
            achievement_key=f"course:legal-safety:profile:{holder}",
            title={"zh_CN": "骑手与司机的法律安全", "en": "Legal safety for riders and drivers"},
            hours=1.5,
            evidence={"seeded": "load test"},
            course_key="legal-safety",
        )
        session.commit()
        print(certificate.number)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
