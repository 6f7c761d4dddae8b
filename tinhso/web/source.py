"""The licence and the source of the running installation (AGPL-3.0 section 13).

A province that modifies tinhso and runs it as a network service must offer the users of that service
the corresponding source. The licence page links to ``settings.SOURCE_URL`` when the operator has
published the code somewhere; otherwise (and always, as a second way) to an archive of the code this
server is running, built from the installed files on first request and kept under
``VAR_DIR/source/`` until the code changes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.conf import settings

import tinhso

PACKAGE_DIR = Path(tinhso.__file__).resolve().parent
# What a fresh clone holds, beside the package itself (those present are archived).
ROOT_ENTRIES = (".ci", ".gitattributes", ".gitignore", "LICENSE", "Makefile", "README.md", "pyproject.toml", "bench", "docs",
                "frontend", "scripts", "tests")
# Never archived: caches, and what `make install` builds from the lock files.
SKIPPED_DIRS = {"__pycache__", "node_modules", ".pytest_cache", ".hypothesis", ".ruff_cache"}
SKIPPED_PATHS = {Path("tinhso/web/static/vendor")}
SKIPPED_SUFFIXES = (".pyc", ".pyo")
# Whatever an operator may have left beside the code: never served, even if it sits in the tree.
SKIPPED_NAMES = ("secret_key",)
SKIPPED_NAME_PARTS = (".env", ".sqlite3", ".pem", ".key", ".tmp")
MAX_ARCHIVED_FILE = 20 * 1024 * 1024  # a data file this large is not source; it is left out


@dataclass(frozen=True)
class SourceFile:
    name: str  # the path inside the archive, under "tinhso-<version>/"
    path: Path
    size: int
    mtime: int


def version() -> str:
    try:
        return metadata.version("tinhso")
    except metadata.PackageNotFoundError:  # running from a tree that was never installed
        return "0+unknown"


def project_root() -> Path | None:
    """The checkout the package runs from (editable install, fresh clone), or None for a wheel."""
    root = PACKAGE_DIR.parent
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return None
    return root if 'name = "tinhso"' in text else None


def licence_text() -> str:
    """The full GNU AGPL v3 text shipped with the code (the checkout's LICENSE, else the wheel's)."""
    root = project_root()
    candidates = [root / "LICENSE"] if root else []
    try:
        dist = metadata.distribution("tinhso")
        candidates += [Path(dist.locate_file(f)) for f in (dist.files or []) if Path(str(f)).name == "LICENSE"]
    except metadata.PackageNotFoundError:
        pass
    for path in candidates:
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            continue
    return ""


def _walk(base: Path, relative: Path):
    start = base / relative
    if start.is_file():
        yield relative
        return
    for dirpath, dirnames, filenames in os.walk(start):
        here = Path(dirpath).relative_to(base)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and here / d not in SKIPPED_PATHS)
        for name in sorted(filenames):
            if (name.endswith(SKIPPED_SUFFIXES) or name in SKIPPED_NAMES
                    or any(part in name for part in SKIPPED_NAME_PARTS)):
                continue
            yield here / name


def source_files() -> list[SourceFile]:
    """The files of the running code, in archive order."""
    root = project_root()
    if root is not None:
        base, entries = root, [e for e in ROOT_ENTRIES if (root / e).exists()] + ["tinhso"]
    else:  # an installed wheel: the package is what there is
        base, entries = PACKAGE_DIR.parent, ["tinhso"]
    prefix = f"tinhso-{version()}"
    files = []
    for entry in entries:
        for rel in _walk(base, Path(entry)):
            path = base / rel
            try:
                stat = path.stat()
            except OSError:
                continue
            if stat.st_size <= MAX_ARCHIVED_FILE:
                files.append(SourceFile(f"{prefix}/{rel.as_posix()}", path, stat.st_size, int(stat.st_mtime)))
    return sorted(files, key=lambda f: f.name)


def _fingerprint(files: list[SourceFile]) -> str:
    digest = hashlib.sha256()
    for f in files:
        digest.update(f"{f.name}\0{f.size}\0{f.mtime}\n".encode())
    return digest.hexdigest()[:16]


_lock = threading.Lock()
_built: dict[str, Path] = {}  # fingerprint -> archive, per process (the code does not change under it)


def archive() -> Path:
    """The gzip'd tar of the running code: built once per code version, reproducible byte for byte
    (sorted names, fixed owner, each file's own mtime, no gzip timestamp)."""
    files = source_files()
    key = _fingerprint(files)
    with _lock:
        path = _built.get(key)
        if path is not None and path.exists():
            return path
        out_dir = Path(settings.VAR_DIR) / "source"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"tinhso-{version()}-{key}.tar.gz"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with (open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz,
                  tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar):
                for f in files:
                    try:
                        data = f.path.read_bytes()
                    except OSError:
                        continue
                    info = tarfile.TarInfo(f.name)
                    info.size, info.mtime, info.mode = len(data), f.mtime, 0o644
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    tar.addfile(info, io.BytesIO(data))
            os.replace(tmp, path)
            for old in out_dir.glob("tinhso-*.tar.gz"):
                if old != path:
                    old.unlink(missing_ok=True)
        _built.clear()
        _built[key] = path
        return path
