"""A delivery company's own Flask app (users, orders, login, CSRF, migrations,
its own layout) with the LMS mounted under /training, set up as the LMS README's
"Using it as a plugin" section says."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_migrate import Migrate
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from lms import LMS
from shop.models import Order, User, db

HERE = os.path.dirname(__file__)

csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
limiter = Limiter(get_remote_address, default_limits=[])


class LoginForm(FlaskForm):
    """The shop's own login form (Flask-WTF, so CSRF-protected)."""

    email = StringField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The shop, configured from SHOP_* environment variables and ``config``."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SHOP_SECRET_KEY", "shop-dev-secret"),
        SQLALCHEMY_DATABASE_URI=os.environ.get("SHOP_DATABASE_URL", "sqlite:///shop.sqlite"),
        # The shop's own rate limits: Flask-Limiter reads RATELIMIT_*; the LMS
        # reads only LMS_RATELIMIT_* and LMS_VERIFY_RATE_LIMIT.
        RATELIMIT_STORAGE_URI="memory://",
        # The LMS settings (README, "Using it as a plugin").
        LMS_ACCOUNTS="host",
        LMS_BASE_TEMPLATE="shop/layout.html",
        LMS_SIGNING_KEY_FILE=os.environ.get("LMS_SIGNING_KEY_FILE"),
        LMS_PUBLIC_URL=os.environ.get("LMS_PUBLIC_URL", "https://shop.example.cn"),
        LMS_ISSUER_NAME="顺达速运培训部 / Shunda Express Training",
    )
    app.config.update(config or {})

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(HERE), "migrations"))
    # CSRFProtect before the LMS, so the LMS registers its sync endpoint's exemption.
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "login"
    LMS(db=db).init_app(app, url_prefix="/training")

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    @app.route("/")
    def home() -> Any:
        return render_template("shop/home.html")

    @app.route("/login", methods=["GET", "POST"])
    @limiter.limit("5 per minute", methods=["POST"])
    def login() -> Any:
        form = LoginForm()
        if form.validate_on_submit():
            user = db.session.scalar(db.select(User).filter_by(email=form.email.data))
            if user is not None and check_password_hash(user.password_hash, form.password.data):
                login_user(user)
                flash("Welcome back.")
                target = request.args.get("next") or ""
                return redirect(target if target.startswith("/") else url_for("home"))
            flash("Wrong email or password.")
            return render_template("shop/login.html", form=form), 400
        return render_template("shop/login.html", form=form), 400 if form.is_submitted() else 200

    @app.route("/logout", methods=["POST"])
    def logout() -> Any:
        logout_user()
        return redirect(url_for("home"))

    @app.route("/orders/<int:user_id>")
    @login_required
    def orders(user_id: int) -> Any:
        if user_id != current_user.id:
            abort(403)
        mine = db.session.scalars(db.select(Order).filter_by(user_id=user_id)).all()
        return render_template("shop/orders.html", orders=mine)

    return app
