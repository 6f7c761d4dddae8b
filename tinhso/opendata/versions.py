"""New versions of a published uploaded dataset (CKAN's resource update; DCAT ``dcat:version`` and
``adms:versionNotes``).

A publisher of the dataset's organisation uploads a new file with a note saying what changed; it is
checked against the published Table Schema (:func:`tinhso.opendata.upload.validate_version`: the same
columns and types, every bad row named, nothing kept unless every row is good) and becomes a
``pending`` :class:`~tinhso.opendata.models.DatasetVersion`, its files written under
``<opendata>/.versions/<dataset>/<id>/``; the approvers are told. Meanwhile the public sees the current
version unchanged. A second person approves it: the current files move to their version's folder (so
every previous version stays downloadable), the new files take their place, the dataset keeps its name
and identifier, its ``version``, ``version_notes`` and ``metadata_modified`` change, and the history
gains a ``v_published`` event. Or they return it with a reason: its files are removed and the submitter
is told. One version at a time may wait."""

from __future__ import annotations

import hashlib
import shutil

from django.db import IntegrityError, transaction
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.opendata import notices, publishing, storage, upload, writers
from tinhso.opendata.models import Dataset, DatasetState, DatasetVersion, Distribution, Origin, VersionState

NOTE_MAX = 2000
SUBMITTED, RETURNED, PUBLISHED = "v_submitted", "v_returned", "v_published"


def can_submit(user, ds: Dataset) -> bool:
    """Whether ``user`` may upload a new version of ``ds`` now (a publisher of its organisation, the
    dataset uploaded and published)."""
    return (ds.origin == Origin.UPLOADED and ds.state == DatasetState.PUBLISHED
            and publishing.can_publish_for(user, ds.publisher))


def pending(ds: Dataset) -> DatasetVersion | None:
    return ds.versions.filter(state=VersionState.PENDING).select_related("submitted_by").first()


def folder(version: DatasetVersion):
    """Where ``version``'s files are: the dataset's folder when it is current, its own folder otherwise."""
    if version.state == VersionState.CURRENT:
        return storage.dataset_dir(version.dataset.name)
    return storage.version_dir(version.dataset.name, version.id.hex)


def _note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise UserError("version_note_required", "Cần ghi chú phiên bản (thay đổi gì, ví dụ: số liệu tháng 11/2026).",
                        "A version note is required (what changed, e.g. the figures of November 2026).",
                        field="version_note")
    if len(note) > NOTE_MAX:
        raise UserError("version_note_too_long", f"Ghi chú phiên bản dài quá {NOTE_MAX} ký tự.",
                        f"The version note is longer than {NOTE_MAX} characters.", field="version_note")
    return note


def submit(user, ds: Dataset, content: bytes, filename: str, note: str) -> DatasetVersion:
    """Check ``content`` against the published schema and keep it as the pending next version."""
    if not publishing.can_publish_for(user, ds.publisher):
        raise UserError("forbidden", "Bạn không có quyền đăng dữ liệu cho đơn vị này.",
                        "You may not publish datasets for this organisation.", status=403)
    if ds.origin != Origin.UPLOADED:
        raise UserError("generated", "Bộ dữ liệu này do hệ thống tự cập nhật; không tải lên phiên bản mới được.",
                        "This dataset is refreshed by the system; a new version cannot be uploaded.", status=409)
    if ds.state != DatasetState.PUBLISHED:
        raise UserError("not_published", "Chỉ tải phiên bản mới cho bộ dữ liệu đang công bố.",
                        "A new version can only be uploaded for a published dataset.", status=409)
    note = _note(note)
    table = upload.validate_version(content, filename, ds.table_schema, ds.name)
    meta = {"name": ds.name, "title": ds.title_vi, "description": ds.description_vi, "keywords": ds.keywords,
            "created": timezone.now().isoformat(timespec="seconds")}
    files = writers.render_all(table, meta)
    with transaction.atomic():
        ds = Dataset.objects.select_for_update().select_related("publisher").get(pk=ds.pk)
        if ds.versions.filter(state=VersionState.PENDING).exists():
            raise _already_pending()
        version = DatasetVersion(dataset=ds, number=ds.version + 1, state=VersionState.PENDING, note=note,
                                 rows=len(table.rows), submitted_by=user)
        version.files = [{"format": fmt, "file_name": name, "media_type": writers.MEDIA_TYPES[fmt],
                          "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                         for fmt, name, data in files]
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError:
            raise _already_pending() from None
        target = folder(version)
        target.mkdir(mode=0o700, parents=True)
        try:
            for _fmt, name, data in files:
                (target / name).write_bytes(data)
            publishing.record(ds, SUBMITTED, ds.state, from_state=ds.state, actor=user, note=note,
                              version=version.number)
            notices.tell_approvers(ds, user, version=version.number)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
    return version


def _already_pending() -> UserError:
    return UserError("version_pending", "Đã có một phiên bản mới đang chờ duyệt; chờ người duyệt quyết định trước.",
                     "A new version is already waiting for approval; wait for the approver's decision first.",
                     field="file", status=409)


def _check_reviewer(version: DatasetVersion, user) -> None:
    """An active approver who did not submit ``version`` (a second person decides)."""
    publishing.check_reviewer(
        user, version.submitted_by_id, "Bạn không có quyền duyệt dữ liệu mở.", "You may not approve open datasets.",
        same=("Người gửi phiên bản không tự duyệt hay trả lại được; cần người thứ hai.",
              "The person who submitted a version cannot approve or return it; a second person must."))


def _locked(version: DatasetVersion) -> tuple[Dataset, DatasetVersion]:
    ds = Dataset.objects.select_for_update().select_related("publisher").get(pk=version.dataset_id)
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    if version.state != VersionState.PENDING:
        raise UserError("version_not_pending", "Phiên bản này không còn chờ duyệt.",
                        "This version is no longer waiting for approval.", status=409)
    return ds, version


def _outgoing(ds: Dataset) -> DatasetVersion:
    """The current version's row; made for a dataset published before versions were kept (its first)."""
    current = ds.versions.filter(state=VersionState.CURRENT).first()
    if current is None:
        current = DatasetVersion.objects.create(
            dataset=ds, number=ds.version, state=VersionState.CURRENT, note=ds.version_notes,
            submitted_by=ds.created_by, submitted_at=ds.issued or ds.metadata_created,
            files=[{"format": d.format, "file_name": d.file_name, "media_type": d.media_type, "size": d.size,
                    "sha256": d.sha256} for d in ds.distributions.all()])
    return current


def approve(version: DatasetVersion, user) -> Dataset:
    """A second person publishes a pending version: its files replace the current ones (kept as the
    previous version's), the dataset keeps its name and identifier and its modified date changes."""
    _check_reviewer(version, user)
    with transaction.atomic():
        ds, version = _locked(version)
        if ds.state != DatasetState.PUBLISHED:
            raise UserError("not_published", "Bộ dữ liệu không còn công bố nên chưa thay phiên bản được.",
                            "The dataset is no longer published, so its version cannot be replaced.", status=409)
        now = timezone.now()
        old = _outgoing(ds)
        live = storage.dataset_dir(ds.name)
        old.state = VersionState.PREVIOUS
        old.save(update_fields=["state"])
        version.state, version.decided_by, version.decided_at = VersionState.CURRENT, user, now
        version.save(update_fields=["state", "decided_by", "decided_at"])
        _replace_distributions(ds, version.files, now)
        ds.version, ds.version_notes, ds.metadata_modified = version.number, version.note, now
        ds.save(update_fields=["version", "version_notes", "metadata_modified"])
        publishing.record(ds, PUBLISHED, ds.state, from_state=ds.state, actor=user, note=version.note,
                          version=version.number)
        # Files last: the current folder becomes the previous version's, the pending one the current.
        old_dir = storage.version_dir(ds.name, old.id.hex)
        old_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pending_dir = storage.version_dir(ds.name, version.id.hex)
        if live.exists():
            live.rename(old_dir)
        try:
            pending_dir.rename(live)
        except OSError:
            if old_dir.exists():
                old_dir.rename(live)
            raise
    return ds


def _replace_distributions(ds: Dataset, files: list[dict], now) -> None:
    old = {d.file_name: d for d in ds.distributions.all()}
    for f in files:
        dist = old.pop(f["file_name"], None) or Distribution(dataset=ds, file_name=f["file_name"], created=now)
        if dist.sha256 != f["sha256"]:
            dist.modified = now
        dist.format, dist.media_type, dist.size, dist.sha256 = f["format"], f["media_type"], f["size"], f["sha256"]
        dist.save()
    for stale in old.values():
        stale.delete()


def reject(version: DatasetVersion, user, reason: str) -> DatasetVersion:
    """A second person returns a pending version, saying why: the public version stays, the pending
    files are removed and the submitter is told."""
    _check_reviewer(version, user)
    reason = publishing.required_reason(reason, "Cần ghi lý do trả lại.", "A reason for returning the version is required.")
    with transaction.atomic():
        ds, version = _locked(version)
        version.state, version.decided_by, version.decided_at = VersionState.RETURNED, user, timezone.now()
        version.save(update_fields=["state", "decided_by", "decided_at"])
        publishing.record(ds, RETURNED, ds.state, from_state=ds.state, actor=user, note=reason,
                          version=version.number)
        notices.tell_submitter(notices.VERSION_RETURNED, ds, user, reason, submitter=version.submitted_by,
                               version=version.number)
        gone = storage.version_dir(ds.name, version.id.hex)
        transaction.on_commit(lambda: shutil.rmtree(gone, ignore_errors=True))
    return version


def file_of(ds: Dataset, number: int, file_name: str, user) -> tuple[dict, object] | None:
    """A version's file (its description and path) that ``user`` may download: a previous version's for
    anyone who sees the dataset; a pending one's for approvers and the organisation's publishers."""
    version = ds.versions.filter(number=number).exclude(state=VersionState.RETURNED).first()
    if version is None:
        return None
    if version.state == VersionState.PENDING and not may_see_pending(user, ds):
        return None
    entry = next((f for f in version.files if f["file_name"] == file_name), None)
    if entry is None:
        return None
    path = folder(version) / file_name
    return (entry, path) if path.exists() else None


def may_see_pending(user, ds: Dataset) -> bool:
    return bool(user and user.is_authenticated and (user.has_perm("opendata.approve_dataset")
                                                    or publishing.can_publish_for(user, ds.publisher)))
