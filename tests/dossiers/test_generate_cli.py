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
