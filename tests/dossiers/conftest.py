"""Fixtures of the dossier tests: a store in a temporary directory, the province's agencies, a small
catalogue, and a way to run the ``tinhso`` CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinhso.dossiers.models import Agency, AgencyMember, Procedure, SuppliedValue

PERIOD = "2025-10"


@pytest.fixture
def store_dir(settings, tmp_path) -> Path:
    settings.DOSSIER_STORE_DIR = tmp_path / "store"
    settings.DOSSIER_SUPPLEMENT_MODE = "pause"
    return settings.DOSSIER_STORE_DIR


@pytest.fixture
def catalogue(db, store_dir):
    from tinhso.dossiers import setup

    setup.init(out=lambda *a, **k: None)
    Procedure.objects.create(code="T.1", name="Thủ tục thử 1", online_level="full", eligible_full_online=True,
                             legal_time=5, legal_time_unit="working_days", fee_bearing=True,
                             requires_paper_result=False, subjects="citizens", parts_complete=True)
    Procedure.objects.create(code="T.2", name="Thủ tục thử 2 (giờ)", online_level="none", legal_time=8,
                             legal_time_unit="working_hours", requires_paper_result=True, subjects="organisations",
                             parts_complete=False)
    for code, value in {"1.1": 100, "1.2": 100, "1.4": 100, "4.2c": 100, "5.2": 100, "5.3": 100}.items():
        SuppliedValue.objects.create(indicator=code, value=value)
    return store_dir


@pytest.fixture
def cli(capsys):
    """Run ``tinhso …`` in-process; returns (exit code, stdout, stderr)."""
    from tinhso.cli import main

    def run(*argv: str):
        code = main([str(a) for a in argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def write_json(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return path


def staff_client(name: str, perm: str, agencies=()):
    """A signed-in client of a new user holding the dossiers permission ``perm``, member of ``agencies``."""
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    user = User.objects.create_user(name, password="p-" + name)
    user.user_permissions.add(Permission.objects.get(codename=perm, content_type__app_label="dossiers"))
    for code in agencies:
        AgencyMember.objects.create(user=user, agency=Agency.objects.get(code=code))
    client = Client()
    client.force_login(user)
    return client
