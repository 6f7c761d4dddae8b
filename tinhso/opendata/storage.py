"""Where published files live: ``<TINHSO_VAR_DIR>/opendata/<dataset name>/<file>``."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from django.conf import settings

_SAFE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")


def root() -> Path:
    path = Path(getattr(settings, "OPENDATA_DIR", settings.VAR_DIR / "opendata"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def dataset_dir(name: str) -> Path:
    if not _SAFE.match(name):
        raise ValueError(f"unsafe dataset name {name!r}")
    return root() / name


def file_path(dataset_name: str, file_name: str) -> Path:
    if not _SAFE.match(file_name):
        raise ValueError(f"unsafe file name {file_name!r}")
    return dataset_dir(dataset_name) / file_name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def version_dir(dataset_name: str, key: str) -> Path:
    """Where a pending or previous version's files live: ``<root>/.versions/<dataset>/<key>`` (a dot
    folder, so no dataset name can clash with it)."""
    if not _SAFE.match(dataset_name) or not _SAFE.match(key):
        raise ValueError(f"unsafe version folder {dataset_name!r}/{key!r}")
    return root() / ".versions" / dataset_name / key
