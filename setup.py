"""Packaging beyond what pyproject.toml can say: the Alembic environment and the
shipped content go into the wheel as lms/migrations and lms/shipped_content
(they stay at the top of the checkout, where this project keeps them), and
the translation catalogs are compiled while the wheel is built, so a wheel made
from a clean `git archive HEAD` is complete."""

from __future__ import annotations

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithCatalogs(build_py):
    """build_py that also writes the compiled .mo catalogs into the build."""

    def run(self) -> None:
        super().run()
        # Babel is in build-system.requires; the .mo files are git-ignored.
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in sorted((HERE / "lms" / "translations").glob("*/LC_MESSAGES/messages.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            target = Path(self.build_lib) / po_path.relative_to(HERE).with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as handle:
                write_mo(handle, catalog)


setup(
    packages=[
        # namespace-aware: lms/accounts has no __init__.py
        *find_namespace_packages(
            include=["lms", "lms.*"],
            exclude=["lms.templates*", "lms.static*", "lms.translations*", "*__pycache__*"],
        ),
        "lms.migrations",
        "lms.migrations.versions",
        "lms.shipped_content",
    ],
    package_dir={
        "lms.migrations": "migrations",
        "lms.shipped_content": "content",
    },
    package_data={
        "lms": [
            "templates/**/*",
            "static/**/*",
            "translations/**/*.po",
            "certificates/openapi.yaml",
        ],
        "lms.migrations": ["alembic.ini", "script.py.mako", "versions/*.py"],
        "lms.shipped_content": ["**/*"],
    },
    cmdclass={"build_py": BuildPyWithCatalogs},
)
