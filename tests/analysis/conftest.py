"""The monthly report's tests reuse the reports fixtures (a small province with units and staff)."""

import pytest

from tests.reports.conftest import _fresh_cache, _media, world  # noqa: F401


@pytest.fixture(scope="session")
def boundaries_ready(django_db_setup):
    """The monthly report never locates a point, so it builds no boundaries: this directory runs before
    tests/geo, whose tests expect a database without active boundaries (the reports fixture of the
    same name keeps them for the whole session)."""


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cli(capsys):
    """Run ``tinhso …`` in-process; returns (exit code, stdout, stderr)."""
    from tinhso.cli import main

    def run(*argv: str):
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
