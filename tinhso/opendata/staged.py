"""An uploaded file kept between the two steps of the upload form (the clerk reviews the inferred schema,
then submits): ``<opendata dir>/../.opendata-staging/<token>.bin`` and its ``.json`` (who, file name,
when). Only the user who uploaded it may use it; it is removed once submitted and forgotten after
:data:`MAX_AGE_S`. Nothing staged is visible to anyone else or published."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

from tinhso.core.errors import UserError
from tinhso.opendata import storage

MAX_AGE_S = 24 * 3600
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _dir() -> Path:
    path = storage.root().with_name(".opendata-staging")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _expired() -> UserError:
    return UserError("staged_missing", "Tệp đã tải lên không còn (quá hạn hoặc đã gửi); hãy tải lại tệp.",
                     "The uploaded file is no longer kept (expired or already sent); upload it again.", field="file")


def _sweep(folder: Path) -> None:
    limit = time.time() - MAX_AGE_S
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass


def keep(user, content: bytes, filename: str) -> str:
    """Keep ``content`` for ``user``; the token the form carries to the next step."""
    folder = _dir()
    _sweep(folder)
    token = uuid.uuid4().hex
    (folder / f"{token}.bin").write_bytes(content)
    (folder / f"{token}.json").write_text(json.dumps({"user": user.pk, "filename": Path(filename).name[:200]}))
    return token


def load(user, token: str) -> tuple[bytes, str]:
    """The file kept under ``token`` by ``user`` and its name; a :class:`UserError` otherwise."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        raise _expired()
    folder = _dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        content = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise _expired() from None
    if meta.get("user") != user.pk or time.time() - (folder / f"{token}.bin").stat().st_mtime > MAX_AGE_S:
        raise _expired()
    return content, meta["filename"]


def drop(user, token: str) -> None:
    """Forget the file ``user`` kept under ``token`` (nothing happens for anybody else's token)."""
    if not (isinstance(token, str) and _TOKEN.match(token)):
        return
    folder = _dir()
    try:
        if json.loads((folder / f"{token}.json").read_text()).get("user") != user.pk:
            return
    except (OSError, ValueError):
        pass
    for suffix in (".bin", ".json"):
        (folder / f"{token}{suffix}").unlink(missing_ok=True)
