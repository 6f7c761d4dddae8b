"""Backups: ``tinhso backup OUT`` and ``tinhso restore IN`` (one tar archive, owner-only).

What an archive holds:

- ``database.sqlite3`` (SQLite, copied with its online backup API, so a running server keeps
  writing meanwhile and the copy is one consistent state) or ``database.pgdump`` (PostgreSQL,
  ``pg_dump -Fc`` inside the snapshot of one repeatable-read transaction, which also counts the rows);
- ``files/<name>/...``: every folder under ``VAR_DIR`` named in the ``BACKUP_DIRS`` setting
  (``TINHSO_BACKUP_DIRS``, default ``media,dossiers,uploads,opendata``) that exists, copied after the
  database, so a file uploaded meanwhile is at worst an extra file no row points to;
- ``manifest.json``: format version, time, tinhso version, database engine, row count per table
  and the SHA-256 of the database file and of every file.

Restore checks everything before it changes anything: the manifest's format, the engine (an
archive of the other engine is refused: cross-engine moves are not supported), that the archive
holds exactly the listed members (no links, no absolute or ``..`` paths) and that every hash
matches. It refuses a non-empty installation (any table in the database, or any file in the
backed-up folders) unless ``force``. Afterwards it compares the restored row counts with the
manifest. The secret key is not in the archive (sessions and nothing else depend on it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import connection, connections

from tinhso.core.errors import UserError

FORMAT = "tinhso-backup"
VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1 << 20
Out = Callable[[str], None]


def engine() -> str:
    vendor = connection.vendor
    if vendor not in DB_MEMBER:
        raise UserError("backup_engine_unsupported", f"Chưa hỗ trợ sao lưu cơ sở dữ liệu {vendor}.",
                        f"Backups of a {vendor} database are not supported.")
    return vendor


def backup_dirs() -> list[str]:
    names = getattr(settings, "BACKUP_DIRS", ["media", "dossiers", "uploads"])
    for name in names:
        if not name or "/" in name or name in (".", ".."):
            raise UserError("backup_dir_invalid", f"Tên thư mục sao lưu không hợp lệ: {name!r}",
                            f"Invalid backup folder name {name!r} (a folder directly under VAR_DIR)",
                            field="TINHSO_BACKUP_DIRS")
    return list(dict.fromkeys(names))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def _count_rows(cursor, tables: list[str], quote) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[table] = int(cursor.fetchone()[0])
    return counts


# ---------------------------------------------------------------------------------------------
# Database snapshot


def _sqlite_snapshot(target: Path) -> dict[str, int]:
    """Copy the live SQLite database with its online backup API; the row counts of the copy."""
    source = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one consistent state even while the server writes
        tables = [row[0] for row in copy.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return _count_rows(copy.cursor(), tables, lambda t: '"' + t.replace('"', '""') + '"')
    finally:
        copy.close()
        source.close()


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: from ``TINHSO_PG_BIN`` if set, else the PATH."""
    folder = os.environ.get("TINHSO_PG_BIN")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise UserError("pg_tool_missing", f"Không tìm thấy {name} (cài gói postgresql-client).",
                        f"{name} not found: install the PostgreSQL client tools (or set TINHSO_PG_BIN)")
    return path


def _pg_env_args() -> tuple[dict[str, str], list[str]]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    return env, args + ["--dbname", str(db["NAME"])]


def _pg_snapshot(target: Path) -> dict[str, int]:
    """``pg_dump -Fc`` of the snapshot of one repeatable-read transaction, which counts the rows too."""
    env, args = _pg_env_args()
    connections.close_all()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            done = subprocess.run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                   f"--snapshot={snapshot}", "--file", str(target), *args],
                                  env=env, capture_output=True, text=True)
            if done.returncode:
                raise UserError("pg_dump_failed", f"pg_dump thất bại: {done.stderr.strip()}",
                                f"pg_dump failed: {done.stderr.strip()}")
            tables = _tables()
            counts = _count_rows(cursor, tables, connection.ops.quote_name)
        finally:
            cursor.execute("ROLLBACK")
    return counts


# ---------------------------------------------------------------------------------------------
# Backup


def _files(var_dir: Path) -> Iterator[tuple[str, Path]]:
    for name in backup_dirs():
        root = var_dir / name
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield f"files/{path.relative_to(var_dir).as_posix()}", path


def create(out_path: str | Path, *, out: Out = print) -> dict:
    """Write the archive to ``out_path`` (mode 0600; refused if it exists); its manifest."""
    out_path = Path(out_path)
    if out_path.exists():
        raise UserError("backup_exists", f"Tệp {out_path} đã có; chọn tên khác.",
                        f"{out_path} already exists; choose another name.", field="OUT")
    kind = engine()
    var_dir = Path(settings.VAR_DIR)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_path.parent, prefix=".tinhso-backup-") as tmp:
        os.chmod(tmp, 0o700)
        db_file = Path(tmp) / DB_MEMBER[kind]
        counts = _sqlite_snapshot(db_file) if kind == "sqlite" else _pg_snapshot(db_file)
        files: dict[str, str] = {}
        partial = Path(tmp) / "archive.tar"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(db_file, arcname=DB_MEMBER[kind], recursive=False)
            for arcname, path in _files(var_dir):
                # Hash what goes into the archive: read once, from the same open file.
                with path.open("rb") as fh:
                    data_hash = hashlib.sha256()
                    info = tar.gettarinfo(fileobj=fh, arcname=arcname)
                    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                    reader = _HashingReader(fh, data_hash)
                    tar.addfile(info, reader)
                files[arcname] = data_hash.hexdigest()
            manifest = {
                "format": FORMAT, "version": VERSION, "created_at": dt.datetime.now(dt.UTC).isoformat(),
                "tinhso_version": _version(), "engine": kind,
                "database": {"file": DB_MEMBER[kind], "sha256": sha256_file(db_file), "tables": len(counts)},
                "row_counts": counts, "dirs": [d for d in backup_dirs() if (var_dir / d).is_dir()],
                "files": files,
            }
            body = json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(body), 0o600, int(dt.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(body))
        os.replace(partial, out_path)
    out(f"Sao lưu / Backup: {out_path} ({kind}, {len(counts)} tables, {sum(counts.values())} rows, "
        f"{len(files)} files, {out_path.stat().st_size} bytes)")
    return manifest


class _HashingReader:
    """A file object that hashes what tarfile reads from it."""

    def __init__(self, fh, digest):
        self.fh, self.digest = fh, digest

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tinhso")
    except PackageNotFoundError:
        return "unknown"


# ---------------------------------------------------------------------------------------------
# Restore


def _invalid(en: str, vi: str) -> UserError:
    return UserError("backup_invalid", f"Tệp sao lưu không hợp lệ: {vi}", f"Invalid backup archive: {en}",
                     field="IN")


def read_manifest(tar: tarfile.TarFile) -> dict:
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read())
    except (KeyError, AttributeError, ValueError):
        raise _invalid("no readable manifest.json", "không có manifest.json đọc được") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _invalid("not a tinhso backup", "không phải tệp sao lưu tinhso")
    if manifest.get("version") != VERSION:
        raise _invalid(f"format version {manifest.get('version')!r}; this tinhso reads {VERSION}",
                       f"phiên bản định dạng {manifest.get('version')!r}; bản tinhso này đọc {VERSION}")
    return manifest


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _is_empty(var_dir: Path) -> tuple[bool, str]:
    tables = _tables()
    if tables:
        return False, f"the database has {len(tables)} tables"
    for name in backup_dirs():
        root = var_dir / name
        if root.is_dir() and any(p.is_file() for p in root.rglob("*")):
            return False, f"{root} holds files"
    return True, ""


def restore(in_path: str | Path, *, force: bool = False, out: Out = print) -> dict:
    """Restore the archive into this installation; its manifest. Everything is checked first."""
    in_path = Path(in_path)
    if not in_path.is_file():
        raise UserError("backup_not_found", f"Không có tệp {in_path}.", f"No file {in_path}.", field="IN")
    kind = engine()
    var_dir = Path(settings.VAR_DIR)
    try:
        tar = tarfile.open(in_path, mode="r:")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError) as exc:
        raise _invalid(f"not a tar archive ({exc})", f"không phải tệp tar ({exc})") from None
    with tar, tempfile.TemporaryDirectory(dir=var_dir, prefix=".restore-") as tmp:
        os.chmod(tmp, 0o700)
        manifest = read_manifest(tar)
        if manifest.get("engine") != kind:
            raise UserError(
                "backup_engine_mismatch",
                f"Tệp sao lưu chứa cơ sở dữ liệu {manifest.get('engine')}, còn cài đặt này dùng {kind}: hãy khôi "
                "phục vào một cài đặt cùng loại cơ sở dữ liệu (không hỗ trợ chuyển giữa SQLite và PostgreSQL).",
                f"The archive holds a {manifest.get('engine')} database and this installation uses {kind}: restore "
                "it into an installation with the same database engine (moving between SQLite and PostgreSQL is "
                "not supported).", field="IN")
        expected = {manifest["database"]["file"]: manifest["database"]["sha256"], **manifest.get("files", {})}
        if manifest["database"]["file"] != DB_MEMBER[kind]:
            raise _invalid("unexpected database member", "tên tệp cơ sở dữ liệu không đúng")
        seen = set()
        staging = Path(tmp) / "x"
        for member in tar:
            if member.name == MANIFEST:
                continue
            if member.name not in expected or not member.isfile() or not _safe_name(member.name):
                raise _invalid(f"unexpected member {member.name!r}", f"có mục lạ {member.name!r}")
            target = staging / member.name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            source = tar.extractfile(member)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                while block := source.read(CHUNK):
                    digest.update(block)
                    fh.write(block)
            if digest.hexdigest() != expected[member.name]:
                raise _invalid(f"{member.name}: SHA-256 does not match the manifest (damaged or altered)",
                               f"{member.name}: mã SHA-256 không khớp manifest (tệp hỏng hoặc bị sửa)")
            seen.add(member.name)
        missing = sorted(set(expected) - seen)
        if missing:
            raise _invalid(f"{len(missing)} listed members missing, e.g. {missing[0]}",
                           f"thiếu {len(missing)} mục, ví dụ {missing[0]}")
        empty, why = _is_empty(var_dir)
        if not empty and not force:
            raise UserError("restore_not_empty",
                            f"Cài đặt này không trống ({why}); dừng máy chủ và thêm --force để ghi đè.",
                            f"This installation is not empty ({why}); stop the server and add --force to "
                            "overwrite it.", field="--force")
        db_file = staging / DB_MEMBER[kind]
        if kind == "sqlite":
            _sqlite_restore(db_file)
        else:
            _pg_restore(db_file)
        for name in manifest.get("dirs", []):
            _replace_dir(staging / "files" / name, var_dir / name, Path(tmp))
        counts = _restored_counts(kind)
    differ = {t: (n, counts.get(t)) for t, n in manifest["row_counts"].items() if counts.get(t) != n}
    if differ:
        raise UserError("restore_counts_differ", f"Số dòng sau khi khôi phục khác manifest: {differ}",
                        f"Row counts after the restore differ from the manifest: {differ}")
    out(f"Khôi phục / Restored: {in_path} ({kind}, made {manifest['created_at']}, {len(counts)} tables, "
        f"{sum(counts.values())} rows, {len(manifest.get('files', {}))} files; hashes and row counts verified)")
    return manifest


def _sqlite_restore(db_file: Path) -> None:
    connections.close_all()
    source = sqlite3.connect(db_file)
    target = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=30)
    try:
        source.backup(target)  # replaces every page of the target, WAL-aware
    finally:
        target.close()
        source.close()


def _pg_restore(db_file: Path) -> None:
    env, args = _pg_env_args()
    connections.close_all()
    done = subprocess.run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                           "--single-transaction", "--exit-on-error", *args, str(db_file)],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise UserError("pg_restore_failed", f"pg_restore thất bại: {done.stderr.strip()}",
                        f"pg_restore failed: {done.stderr.strip()}")


def _replace_dir(source: Path, target: Path, tmp: Path) -> None:
    source.mkdir(parents=True, exist_ok=True)  # a backed-up folder that was empty
    old = tmp / f"old-{target.name}"
    if target.exists():
        os.replace(target, old)
    os.replace(source, target)
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(old)


def _restored_counts(kind: str) -> dict[str, int]:
    connections.close_all()
    with connection.cursor() as cursor:
        return _count_rows(cursor, _tables(), connection.ops.quote_name)
