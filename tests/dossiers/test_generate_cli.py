"""`tinhso dossiers generate` on a plain `tinhso init` and with bad arguments: a file that imports, or a
clear error naming the argument (never a traceback)."""

from __future__ import annotations

import json

import pytest

from tinhso.dossiers import setup
from tinhso.dossiers.models import Procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(db, store_dir):
    setup.init(out=lambda *a, **k: None)
    return store_dir


def test_generate_works_on_a_fresh_init_and_its_file_imports(fresh, cli, tmp_path):
    assert not Procedure.objects.exists()
    out = tmp_path / "g.json"
    code, _, err = cli("dossiers", "generate", "--count", "50", "--seed", "1", "--out", out, "--end", "2025-10-31")
    assert code == 0, err
    assert "synthetic" in err and "DEMO.*" in err  # says what it added
    assert Procedure.objects.exists() and not Procedure.objects.filter(synthetic=False).exists()
    records = json.loads(out.read_text(encoding="utf-8"))
    assert len(records) == 50 and all(r["DuLieuMau"] == 1 for r in records)
    code, stdout, err = cli("dossiers", "import", out, "--json")
    assert code == 0, err
    assert json.loads(stdout)["records"] == 50


def test_generate_without_agencies_names_the_command(db, store_dir, cli, tmp_path):
    code, _, err = cli("dossiers", "generate", "--count", "5", "--out", tmp_path / "g.json")
    assert code == 2 and "tinhso init" in err and "Traceback" not in err


@pytest.mark.parametrize(("args", "field"), [
    (("--end", "2025-13-01"), "--end"),
    (("--end", "1900-01-01"), "--end"),
    (("--end", "2150-01-01"), "--end"),
    (("--months", "0"), "--months"),
    (("--months", "-3"), "--months"),
    (("--months", "100000"), "--months"),
    (("--end", "1990-06-30", "--months", "12"), "--end"),
])
def test_bad_arguments_are_named(fresh, cli, tmp_path, args, field):
    out = tmp_path / "g.json"
    code, _, err = cli("dossiers", "generate", "--count", "5", "--out", out, *args)
    assert code == 2 and field in err and "Traceback" not in err, err
    assert not out.exists()


def test_an_unwritable_output_is_named(fresh, cli, tmp_path):
    code, _, err = cli("dossiers", "generate", "--count", "5", "--out", "/nonexistent/g.json")
    assert code == 2 and "/nonexistent" in err, err
    code, _, err = cli("dossiers", "generate", "--count", "5", "--out", tmp_path)
    assert code == 2 and "directory" in err, err


@pytest.mark.parametrize("end", ["1991-01-31", "2099-12-31"])
def test_the_edges_of_the_allowed_years_generate_a_file_that_imports(fresh, cli, tmp_path, end):
    out = tmp_path / "g.jsonl"
    code, _, err = cli("dossiers", "generate", "--count", "30", "--out", out, "--end", end, "--months", "12")
    assert code == 0, err
    code, _, err = cli("dossiers", "import", out)
    assert code == 0, err
