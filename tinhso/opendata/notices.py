"""Who is told what about a dataset: the open-data side of notifications (messages to tinhso.notify).

The person who submitted an uploaded dataset is told, with the approver's reason, when an approver
returns their draft (:data:`RETURNED`), withdraws the published dataset (:data:`WITHDRAWN`) or
publishes it again (:data:`REPUBLISHED`), and whoever sent a new version when it is returned
(:data:`VERSION_RETURNED`): in their inbox and by e-mail, per their preference
(:func:`tinhso.notify.send`). The message is queued in the transaction that makes the change, so a
change that is rolled back tells nobody and a slow mail server never holds the request. A generated
dataset has no submitter, and an approver is not told of their own decision.

The approvers (every active holder of ``opendata.approve_dataset``: :func:`tinhso.core.roles.holders`)
are told when an upload becomes a draft, a returned draft is sent again or a new version of a published
dataset waits (:data:`SUBMITTED`), with
the title, the submitter's name and a link to the approval page, in the same transaction as the
draft; the submitter is not told, as they may not approve their own dataset. Texts are template
files under ``opendata/templates/opendata/notify/`` (Vietnamese, then English).
"""

from __future__ import annotations

from tinhso import notify
from tinhso.core import roles
from tinhso.notify.outbox import render

TEMPLATES = "opendata/notify/"
RETURNED, WITHDRAWN, REPUBLISHED = "dataset_returned", "dataset_withdrawn", "dataset_republished"
VERSION_RETURNED = "dataset_version_returned"
SUBMITTED = "dataset_submitted"
APPROVE = "opendata.approve_dataset"
REVIEW_PATH = "/du-lieu-mo/duyet"


def dataset_url(ds) -> str:
    return notify.site_url(f"/du-lieu-mo/{ds.name}")


def tell_submitter(kind: str, ds, actor, reason: str, *, submitter=None, version: int | None = None) -> list:
    """Queue ``kind`` (one of the kinds above) for the user who submitted ``ds`` (or ``submitter``: who
    sent its new ``version``); the rows written."""
    submitter = submitter or ds.created_by
    if submitter is None or (actor is not None and submitter.pk == actor.pk):
        return []
    url = dataset_url(ds)
    text = render(TEMPLATES + kind, {
        "name": ds.name, "title_vi": ds.title_vi, "title_en": ds.title_en or ds.title_vi,
        "reviewer": actor.get_username() if actor is not None else "tinhso", "reason": reason, "url": url,
        "version": version or ""})
    return notify.send(f"opendata_{kind}", subject=text.subject, body=text.body, html=text.html, users=[submitter],
                       ref_app="opendata", ref_code=ds.name, ref_url=url, webhook=False,
                       data={"dataset": ds.name, "state": ds.state, **({"version": version} if version else {})})


def tell_approvers(ds, submitter, *, again: bool = False, version: int | None = None) -> list:
    """Queue :data:`SUBMITTED` for every approver but ``submitter`` (a draft waits for them; ``again``:
    a returned draft sent once more; ``version``: the number of a published dataset's new version that
    waits); the rows written."""
    approvers = list(roles.holders(APPROVE).exclude(pk=submitter.pk))
    if not approvers:
        return []
    url = notify.site_url(REVIEW_PATH)
    publisher = ds.publisher
    text = render(TEMPLATES + SUBMITTED, {
        "name": ds.name, "title_vi": ds.title_vi, "title_en": ds.title_en or ds.title_vi,
        "submitter": submitter.get_full_name().strip() or submitter.get_username(),
        "publisher_vi": publisher.title_vi, "publisher_en": publisher.title_en or publisher.title_vi,
        "again": "1" if again else "", "version": version or "", "url": url, "dataset_url": dataset_url(ds)})
    return notify.send(f"opendata_{SUBMITTED}", subject=text.subject, body=text.body, html=text.html,
                       users=approvers, ref_app="opendata", ref_code=ds.name, ref_url=url, webhook=False,
                       data={"dataset": ds.name, "state": ds.state, "again": again,
                             **({"version": version} if version else {})})
