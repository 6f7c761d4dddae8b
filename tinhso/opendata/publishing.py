"""Datasets change state here and only here: generated datasets are (re)published, uploaded ones are
submitted as drafts, approved by a second person and published; every change is a
:class:`~tinhso.opendata.models.DatasetEvent`. Files are written to a fresh folder and swapped in, so a
dataset never shows half its files."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.i18n import both
from tinhso.core.search import search_key
from tinhso.opendata import notices, storage, writers
from tinhso.opendata.models import (
    Dataset,
    DatasetEvent,
    DatasetState,
    Distribution,
    Frequency,
    Organization,
    OrgKind,
    Theme,
)

IOC = ("trung-tam-dieu-hanh", "Trung tâm Giám sát, điều hành thông minh (IOC)",
       "Intelligent Operations Center (IOC)")


def contact_email() -> str:
    return os.environ.get("TINHSO_OPENDATA_CONTACT", "dulieumo@tinhso.example")


def ioc() -> Organization:
    org, _ = Organization.objects.get_or_create(name=IOC[0], defaults={
        "title_vi": IOC[1], "title_en": IOC[2], "kind": OrgKind.IOC, "email": contact_email()})
    return org


def _labels(choices, code: str) -> list[str]:
    try:
        return list(both(choices(code).label))
    except ValueError:
        return [code]


def search_text(ds) -> str:
    """What a search looks in: the folded words of names, titles, descriptions, keywords, publisher, the
    spatial coverage and the theme and frequency labels in both languages (``lam dong``, ``health``,
    ``hang thang``), each preceded and followed by one space, so that a word (or the start of one) is
    found as `` word`` on any database (:func:`tinhso.opendata.catalog.apply_q`)."""
    parts = [ds.name, ds.title_vi, ds.title_en, ds.description_vi, ds.description_en, " ".join(ds.keywords),
             ds.publisher.title_vi, ds.publisher.title_en, ds.spatial, *_labels(Theme, ds.theme),
             *_labels(Frequency, ds.frequency)]
    return search_key(" ".join(p for p in parts if p))


def reindex() -> int:
    """Recompute every dataset's search text (after :func:`search_text` learns new parts)."""
    changed = 0
    for ds in Dataset.objects.select_related("publisher"):
        text = search_text(ds)
        if text != ds.search_text:
            Dataset.objects.filter(pk=ds.pk).update(search_text=text)
            changed += 1
    return changed


def record(ds: Dataset, action: str, to_state: str, *, from_state: str = "", actor=None, note: str = "",
           version: int | None = None) -> None:
    name = actor.get_username() if actor is not None else "tinhso"
    DatasetEvent.objects.create(dataset=ds, action=action, from_state=from_state, to_state=to_state,
                                actor=actor, actor_name=name, note=note, version=version)


def write_files(ds: Dataset, table: writers.Table) -> list[Distribution]:
    """Render every distribution of ``table`` into a new folder, swap it in, and replace the rows."""
    meta = {"name": ds.name, "title": ds.title_vi, "description": ds.description_vi, "keywords": ds.keywords,
            "created": timezone.now().isoformat(timespec="seconds")}
    files = writers.render_all(table, meta)
    final = storage.dataset_dir(ds.name)
    staging = final.with_name(f".{ds.name}.{uuid.uuid4().hex[:8]}")
    staging.mkdir(mode=0o700)
    for _fmt, file_name, content in files:
        (staging / file_name).write_bytes(content)
    now = timezone.now()
    old = {d.file_name: d for d in ds.distributions.all()}
    keep = []
    for fmt, file_name, content in files:
        digest = hashlib.sha256(content).hexdigest()
        dist = old.pop(file_name, None)
        if dist is None:
            dist = Distribution(dataset=ds, file_name=file_name, created=now)
        if dist.sha256 != digest:
            dist.modified = now
        dist.format, dist.media_type, dist.size, dist.sha256 = fmt, writers.MEDIA_TYPES[fmt], len(content), digest
        dist.save()
        keep.append(dist)
    for stale in old.values():
        stale.delete()
    retired = final.with_name(f".{ds.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(retired)
    staging.rename(final)
    transaction.on_commit(lambda: shutil.rmtree(retired, ignore_errors=True))
    return keep


def publish_generated(meta: dict, table: writers.Table) -> Dataset:
    """Create or refresh a generated dataset (always published: it is an aggregate tinhso computes)."""
    with transaction.atomic():
        publisher = meta.pop("publisher", None) or ioc()
        ds = Dataset.objects.filter(name=meta["name"]).first()
        created = ds is None
        if created:
            ds = Dataset(name=meta["name"], origin="generated", publisher=publisher)
        for key, value in meta.items():
            setattr(ds, key, value)
        ds.publisher = publisher
        ds.contact_name = ds.contact_name or publisher.title_vi
        ds.contact_email = ds.contact_email or publisher.email or contact_email()
        ds.table_schema = {**table.schema(), **({"x-chart": table.chart} if table.chart else {})}
        ds.search_text = search_text(ds)
        before = ds.state
        now = timezone.now()
        ds.metadata_modified = now
        if ds.state not in (DatasetState.PUBLISHED, DatasetState.WITHDRAWN):  # a withdrawal stands (see republish)
            ds.state = DatasetState.PUBLISHED
            ds.issued = ds.issued or now
        ds.save()
        write_files(ds, table)
        record(ds, "refreshed" if before in (DatasetState.PUBLISHED, DatasetState.WITHDRAWN) else "published",
               ds.state, from_state="" if created else before, note=f"{len(table.rows)} rows")
    return ds


def can_publish_for(user, org: Organization) -> bool:
    return bool(user and user.is_active and user.has_perm("opendata.publish_dataset")
                and org.members.filter(pk=user.pk).exists())


REASON_MAX = 2000


def required_reason(note: str, vi: str, en: str) -> str:
    """The reason an approver gives (required, at most :data:`REASON_MAX` characters)."""
    note = (note or "").strip()
    if not note:
        raise UserError("reason_required", vi, en, field="reason")
    if len(note) > REASON_MAX:
        raise UserError("reason_too_long", f"Lý do dài quá {REASON_MAX} ký tự.",
                        f"The reason is longer than {REASON_MAX} characters.", field="reason")
    return note


def submit_upload(user, org: Organization, meta: dict, table: writers.Table) -> Dataset:
    """A validated upload becomes a draft: its files are written but nobody outside sees them, and the
    approvers are told (:func:`tinhso.opendata.notices.tell_approvers`). A dataset that an approver
    returned may be submitted again under its name by its organisation."""
    if not can_publish_for(user, org):
        raise UserError("forbidden", "Bạn không có quyền đăng dữ liệu cho đơn vị này.",
                        "You may not publish datasets for this organisation.", field="organization", status=403)
    with transaction.atomic():
        ds = Dataset.objects.select_for_update().filter(name=meta["name"]).first()
        if ds is not None and not (ds.state == DatasetState.RETURNED and ds.publisher_id == org.pk):
            raise UserError("name_taken", f"Tên {meta['name']!r} đã được dùng.",
                            f"The name {meta['name']!r} is taken.", field="name", status=409)
        before = ds.state if ds is not None else ""
        contact_name = meta.pop("contact_name", "") or org.title_vi
        if ds is None:
            ds = Dataset(origin="uploaded", publisher=org, **meta)
        else:
            for key, value in meta.items():
                setattr(ds, key, value)
        ds.created_by, ds.state, ds.contact_name = user, DatasetState.DRAFT, contact_name
        ds.table_schema = table.schema()
        ds.search_text = search_text(ds)
        ds.metadata_modified = timezone.now()
        ds.save()
        write_files(ds, table)
        record(ds, "submitted", DatasetState.DRAFT, from_state=before, actor=user, note=f"{len(table.rows)} rows")
        notices.tell_approvers(ds, user, again=before == DatasetState.RETURNED)
    return ds


SAME_PERSON = ("Người đăng không tự duyệt hay trả lại được; cần người thứ hai.",
               "The person who submitted a dataset cannot approve or return it; a second person must.")


def check_reviewer(user, submitter_id: int | None, vi: str, en: str, same: tuple[str, str] = SAME_PERSON) -> None:
    """An active approver who is not the submitter (``submitter_id``: a second person decides); else a 403
    saying ``vi``/``en`` (no permission) or ``same`` (the submitter)."""
    if not (user and user.is_active and user.has_perm("opendata.approve_dataset")):
        raise UserError("forbidden", vi, en, status=403)
    if submitter_id is not None and submitter_id == user.pk:
        raise UserError("same_person", *same, status=403)


def _locked(ds: Dataset, state: str, code: str, vi: str, en: str) -> Dataset:
    """``ds`` locked for the change, or a 409 (``code``, ``vi``/``en``) when it is no longer in ``state``."""
    ds = Dataset.objects.select_for_update().get(pk=ds.pk)
    if ds.state != state:
        raise UserError(code, vi, en, status=409)
    return ds


def _locked_draft(ds: Dataset) -> Dataset:
    return _locked(ds, DatasetState.DRAFT, "not_draft", "Bộ dữ liệu không ở trạng thái chờ duyệt.",
                   "The dataset is not a draft.")


def approve(ds: Dataset, user) -> Dataset:
    """A second person with the approver permission approves a draft and publishes it."""
    check_reviewer(user, ds.created_by_id, "Bạn không có quyền duyệt dữ liệu mở.", "You may not approve open datasets.")
    with transaction.atomic():
        ds = _locked_draft(ds)
        record(ds, "approved", DatasetState.APPROVED, from_state=ds.state, actor=user)
        now = timezone.now()
        record(ds, "published", DatasetState.PUBLISHED, from_state=DatasetState.APPROVED, actor=user)
        ds.state, ds.issued, ds.metadata_modified = DatasetState.PUBLISHED, ds.issued or now, now
        ds.save(update_fields=["state", "issued", "metadata_modified"])
    return ds


def reject(ds: Dataset, user, reason: str) -> Dataset:
    """A second person with the approver permission returns a draft to its publisher, saying why; nothing
    is published, and the publisher may submit it again under the same name."""
    check_reviewer(user, ds.created_by_id, "Bạn không có quyền duyệt dữ liệu mở.", "You may not review open datasets.")
    reason = required_reason(reason, "Cần ghi lý do trả lại.", "A reason for returning the dataset is required.")
    with transaction.atomic():
        ds = _locked_draft(ds)
        record(ds, "returned", DatasetState.RETURNED, from_state=ds.state, actor=user, note=reason)
        ds.state, ds.metadata_modified = DatasetState.RETURNED, timezone.now()
        ds.save(update_fields=["state", "metadata_modified"])
        notices.tell_submitter(notices.RETURNED, ds, user, reason)
    return ds


def withdraw(ds: Dataset, user, note: str = "") -> Dataset:
    """An approver takes a published dataset off the portal (its list, the API and the catalogues); its
    files and history stay, and a generated dataset stays withdrawn when it is refreshed until an
    approver publishes it again (:func:`republish`)."""
    if not (user and user.is_active and user.has_perm("opendata.approve_dataset")):
        raise UserError("forbidden", "Bạn không có quyền rút dữ liệu mở.", "You may not withdraw open datasets.",
                        status=403)
    note = required_reason(note, "Cần ghi lý do rút lại.", "A reason for withdrawing the dataset is required.")
    with transaction.atomic():
        ds = _locked(ds, DatasetState.PUBLISHED, "not_published", "Bộ dữ liệu chưa công bố nên không rút được.",
                     "The dataset is not published, so it cannot be withdrawn.")
        record(ds, "withdrawn", DatasetState.WITHDRAWN, from_state=ds.state, actor=user, note=note)
        ds.state, ds.metadata_modified = DatasetState.WITHDRAWN, timezone.now()
        ds.save(update_fields=["state", "metadata_modified"])
        notices.tell_submitter(notices.WITHDRAWN, ds, user, note)
    return ds


def republish(ds: Dataset, user, note: str = "") -> Dataset:
    """An approver puts a withdrawn dataset back on the portal, saying why (its files are the ones kept
    at withdrawal, a generated dataset's as refreshed since). The history keeps the withdrawal and
    gains a ``republished`` event; ``issued`` (first published) is unchanged. An uploaded dataset is
    republished by a second person, as it was approved."""
    check_reviewer(user, ds.created_by_id, "Bạn không có quyền công bố lại dữ liệu mở.",
                    "You may not publish open datasets again.")
    note = required_reason(note, "Cần ghi lý do công bố lại.", "A reason for publishing the dataset again is required.")
    with transaction.atomic():
        ds = _locked(ds, DatasetState.WITHDRAWN, "not_withdrawn",
                     "Bộ dữ liệu không ở trạng thái đã rút nên không công bố lại được.",
                     "The dataset is not withdrawn, so it cannot be published again.")
        record(ds, "republished", DatasetState.PUBLISHED, from_state=ds.state, actor=user, note=note)
        now = timezone.now()
        ds.state, ds.issued, ds.metadata_modified = DatasetState.PUBLISHED, ds.issued or now, now
        ds.save(update_fields=["state", "issued", "metadata_modified"])
        notices.tell_submitter(notices.REPUBLISHED, ds, user, note)
    return ds


def base_url() -> str:
    return getattr(settings, "OPENDATA_BASE_URL", "") or os.environ.get("TINHSO_DEMO_URL", "")
