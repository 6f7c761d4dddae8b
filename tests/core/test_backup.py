"""``tinhso backup`` / ``tinhso restore`` end to end, through the command line, on the engine of this
run (SQLite; PostgreSQL under scripts/with-postgres): restore into an empty installation gives the
same row counts and the same files; damaged, foreign-engine or misplaced restores are refused."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.installation import REPO, installation, on_postgresql, python, tinhso

COUNT_ROWS = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    counts = {}
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
print(json.dumps(counts))
"""

ADD_ROWS = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
import django
django.setup()
from django.contrib.auth.models import Group
for i in range(25):
    Group.objects.create(name=f"backup-test-{i}")
"""

# Writes rows until the file named by argv[1] exists (a server busy while the backup runs).
WRITER = """
import os, sys, pathlib
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
import django
django.setup()
from django.contrib.auth.models import Group
stop, i = pathlib.Path(sys.argv[1]), 0
while not stop.exists():
    Group.objects.create(name=f"written-during-backup-{i}")
    i += 1
    if i == 1:
        print("writing", flush=True)
print(i)
"""

FILES = {"media/photos/2026/a.jpg": b"\xff\xd8\xff photo bytes", "media/empty.txt": b"",
         "dossiers/HS-1/to-trinh.pdf": b"%PDF-1.7 dossier", "dossiers/HS-1/ghi-chu.txt": "Hồ sơ số 1".encode()}


def _hashes(var_dir: Path) -> dict[str, str]:
    return {p.relative_to(var_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for d in ("media", "dossiers", "uploads") if (var_dir / d).is_dir()
            for p in sorted((var_dir / d).rglob("*")) if p.is_file()}


def _manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def _rewrite(archive: Path, target: Path, change) -> None:
    """Copy ``archive`` to ``target`` with ``change(name, data) -> data`` applied to each member."""
    with tarfile.open(archive) as src, tarfile.open(target, "w") as dst:
        for member in src:
            data = change(member.name, src.extractfile(member).read())
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """An initialised installation with rows added, media and dossier files, and its archive."""
    root = tmp_path_factory.mktemp("backup")
    var_dir = root / "src"
    with installation(var_dir) as env:
        tinhso(env, "init")
        python(env, ADD_ROWS)
        for name, data in FILES.items():
            (var_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (var_dir / name).write_bytes(data)
        (var_dir / "not-backed-up").mkdir()
        (var_dir / "not-backed-up" / "x").write_text("scratch")
        archive = root / "out" / "tinhso.tar"
        tinhso(env, "backup", str(archive))
        yield {"root": root, "var": var_dir, "archive": archive, "counts": json.loads(python(env, COUNT_ROWS)),
               "hashes": _hashes(var_dir), "env": env}


def test_the_archive_is_owner_only_with_a_manifest_of_rows_and_hashes(source):
    archive = source["archive"]
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    manifest = _manifest(archive)
    assert manifest["engine"] == ("postgresql" if on_postgresql() else "sqlite")
    assert manifest["row_counts"] == source["counts"]
    assert manifest["row_counts"]["auth_group"] >= 25 and manifest["row_counts"]["geo_unit"] > 10000
    assert {k.removeprefix("files/"): v for k, v in manifest["files"].items()} == source["hashes"]
    assert set(manifest["dirs"]) == {"media", "dossiers"}
    assert manifest["version"] == 1 and manifest["created_at"]


def test_restore_into_an_empty_installation_gives_the_same_rows_and_files(source):
    var_dir = source["root"] / "dst"
    with installation(var_dir) as env:
        done = tinhso(env, "restore", str(source["archive"]))
        assert "verified" in done.stdout
        assert json.loads(python(env, COUNT_ROWS)) == source["counts"]
        assert _hashes(var_dir) == source["hashes"]
        assert not (var_dir / "not-backed-up").exists()

        # Now it is not empty: refused without --force, then overwritten with it.
        refused = tinhso(env, "restore", str(source["archive"]), check=False)
        assert refused.returncode == 2 and "--force" in refused.stderr and "not empty" in refused.stderr
        (var_dir / "media" / "added-later.jpg").write_bytes(b"later")
        tinhso(env, "restore", "--force", str(source["archive"]))
        assert json.loads(python(env, COUNT_ROWS)) == source["counts"]
        assert _hashes(var_dir) == source["hashes"]


def test_a_damaged_archive_is_refused_before_anything_changes(source):
    damaged = source["root"] / "damaged.tar"
    _rewrite(source["archive"], damaged,
             lambda name, data: data.replace(b"dossier", b"DOSSIER") if name.endswith("to-trinh.pdf") else data)
    var_dir = source["root"] / "dst-damaged"
    with installation(var_dir) as env:
        done = tinhso(env, "restore", str(damaged), check=False)
        assert done.returncode == 2
        assert "dossiers/HS-1/to-trinh.pdf" in done.stderr and "SHA-256" in done.stderr
        assert _hashes(var_dir) == {}
        assert json.loads(python(env, COUNT_ROWS)) == {}


def test_an_archive_of_the_other_engine_is_refused_with_a_clear_message(source):
    other = "sqlite" if on_postgresql() else "postgresql"

    def relabel(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["engine"] = other
        return json.dumps(manifest).encode()

    foreign = source["root"] / "foreign.tar"
    _rewrite(source["archive"], foreign, relabel)
    with installation(source["root"] / "dst-foreign") as env:
        done = tinhso(env, "restore", str(foreign), check=False)
    assert done.returncode == 2
    assert f"holds a {other} database" in done.stderr and "same database engine" in done.stderr


def test_backup_refuses_to_overwrite_an_existing_file(source):
    with installation(source["var"]) as env:
        done = tinhso(env, "backup", str(source["archive"]), check=False)
    assert done.returncode == 2 and "already exists" in done.stderr


def test_a_backup_taken_while_rows_are_written_is_one_consistent_state(source):
    """The row counts of the manifest come from the same snapshot as the database file: a restore of
    an archive taken under writes finds exactly those counts (restore compares every table)."""
    env, root = source["env"], source["root"]
    stop = root / "stop-writer"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(stop)], env=env, cwd=REPO, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        archive = root / "under-writes.tar"
        tinhso(env, "backup", str(archive))
    finally:
        stop.touch()
        written = int(writer.communicate(timeout=60)[0].strip() or 0)
    manifest = _manifest(archive)
    in_archive = manifest["row_counts"]["auth_group"] - source["counts"]["auth_group"]
    assert 0 < in_archive <= written, (in_archive, written)
    with installation(root / "dst-under-writes") as target:
        tinhso(target, "restore", str(archive))
        assert json.loads(python(target, COUNT_ROWS))["auth_group"] == manifest["row_counts"]["auth_group"]
