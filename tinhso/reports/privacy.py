"""The three views of a report, and which photos may be shown to whom.

- **public** (anyone; with ``citizen=True`` the submitter, once their secret is proved — see
  :mod:`tinhso.reports.citizen_secret`; the tracking code alone is public): no personal data ever
  (no name, phone, e-mail, API client, idempotency key, internal notes or staff names). A report
  is *public* (:func:`description_public`) when its sender agreed to publish it and a person
  checked it (IOC verification, or acceptance by the unit for auto-forwarded categories) without
  rejecting it. Of any other report — unverified, rejected, or whose sender refused publication —
  whoever lacks the submitter's secret sees only the code, the state and the dates
  (:func:`minimal_view`): no category, description, address, position, commune, unit, photos,
  notes, responses or rating. The submitter sees everything of their own report except contact
  data. A merged report shows the status of the report it follows (and that report's results
  only if it is public itself).
- **handler** (the assigned unit): the whole report and history, but no reporter contact data.
- **operator** (IOC): everything, including contact data.

Photos are stored without metadata in every case (see :mod:`tinhso.reports.media`) and served
only by their unguessable token, which appears only in the views above: a photo's URL is known
to whoever may see the report's view listing it, and :func:`photo_visible` is checked again when
it is served.
"""

from __future__ import annotations

from tinhso.core.i18n import in_language
from tinhso.reports import sla, workflow
from tinhso.reports.history_notes import system_note
from tinhso.reports.models import Photo, PhotoKind, Report, State
from tinhso.reports.permissions import Actor

# Photos are addressed by their unguessable token, never by the sequential id (enumerable).
PHOTO_URL = "/api/v1/reports/photos/{token}"
CONTACT_FIELDS = ("reporter_name", "reporter_phone", "reporter_email")


def description_public(report: Report) -> bool:
    """Whether the public may see what the report says, where and what was done: its sender agreed
    to publish it, and a person checked it without rejecting it. Reads only attributes, so the
    Open311 rows (named tuples) qualify too."""
    checked = report.verified_at is not None or report.accepted_at is not None
    return bool(report.public) and checked and report.state != State.REJECTED


def photo_visible(photo: Photo, actor: Actor | None = None, *, citizen: bool = False) -> bool:
    """Staff who can see the report: every photo; the submitter: their report's photos; anyone
    else: the photos of a public report only (result photos included)."""
    report = photo.report
    if actor is not None and actor.is_staff_actor and actor.can_see(report):
        return True
    return citizen or description_public(report)


def _photo(photo: Photo) -> dict:
    return {"token": photo.token, "kind": photo.kind, "url": PHOTO_URL.format(token=photo.token), "mime": photo.mime,
            "width": photo.width, "height": photo.height}


def _category(report: Report) -> dict:
    c = report.category
    return {"code": c.code, "name": c.name_vi, "name_en": c.name_en}


def _unit(report: Report) -> dict | None:
    u = report.handling_unit
    return {"code": u.code, "name": u.name, "name_en": u.name_en, "kind": u.kind} if u else None


def _commune(report: Report) -> dict | None:
    c = report.commune
    return {"code": c.code, "name": c.name, "name_en": c.name_en} if c else None


def _events(report: Report, *, public_only: bool) -> list[dict]:
    rows = []
    for e in report.events.all():
        if public_only and not e.public:
            continue
        row = {"at": e.at, "action": e.action, "from_state": e.from_state, "to_state": e.to_state,
               "note": e.note if (e.public or not public_only) else ""}
        # A note the system wrote in both languages: pages show the half in their language
        # (reports/_history.html); the API keeps the stored text (the key is not in its schema).
        row["system_note"] = system_note(e.action, e.actor_role, e.actor_label, row["note"],
                                         synthetic_report=report.synthetic)
        # Why a report was rejected (a code, named by the pages in their language): shown with the note.
        row["reason"] = (e.data or {}).get("reason", "") if e.action == "reject" and row["note"] else ""
        if e.action == "reject" and row["note"] and not row["reason"]:
            from tinhso.reports.triage import split_old_reject_note

            old = split_old_reject_note(row["note"])  # a rejection stored before reasons were codes
            if old:
                row["reason"], row["note"] = old
        if not public_only:
            row.update(actor=e.actor_label, role=e.actor_role, public=e.public, data=e.data)
        rows.append(row)
    return rows


def public_view(report: Report, *, citizen: bool = False, with_history: bool = True) -> dict:
    """What the public (or, with ``citizen=True``, the submitter who proved the secret) may see."""
    from tinhso.reports.duplicates import root

    if not (citizen or description_public(report)):
        return minimal_view(report, with_history=with_history)
    photos = [p for p in report.photos.all() if photo_visible(p, citizen=citizen)]
    view = {
        "code": report.code,
        "category": _category(report),
        "state": report.state,
        "state_label": in_language(State(report.state).label, "vi"),
        "status": workflow.open311_status(report.state),
        "severity": report.severity,
        "description": report.description,
        "lat": report.lat,
        "lon": report.lon,
        "address": report.address,
        "commune": _commune(report),
        "handling_unit": _unit(report),
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "expected_datetime": report.expected_at,
        "resolved_at": report.resolved_at,
        "closed_at": report.closed_at,
        "status_note": report.status_note,
        "response_text": report.response_text,
        "result_text": report.result_text,
        "rating": report.rating,
        "photos": [_photo(p) for p in photos],
        "synthetic": report.synthetic,
        "parent": None,
    }
    if report.parent_id:
        parent = root(report)
        shown = description_public(parent)
        view["parent"] = {"code": parent.code, "state": parent.state,
                          "status": workflow.open311_status(parent.state),
                          "response_text": parent.response_text if shown else "",
                          "result_text": parent.result_text if shown else "",
                          "photos": [_photo(p) for p in parent.photos.all() if p.kind == PhotoKind.RESULT]
                          if shown else []}
    if with_history:
        view["history"] = _events(report, public_only=True)
    return view


def minimal_view(report: Report, *, with_history: bool = True) -> dict:
    """A report that is not public, as anyone without the submitter's secret sees it: code, state
    and dates; every other key of :func:`public_view` empty, its history without notes."""
    view = {
        "code": report.code,
        "category": None,
        "state": report.state,
        "state_label": in_language(State(report.state).label, "vi"),
        "status": workflow.open311_status(report.state),
        "severity": None,
        "description": None,
        "lat": None,
        "lon": None,
        "address": "",
        "commune": None,
        "handling_unit": None,
        "created_at": report.created_at,
        "updated_at": report.updated_at,
        "expected_datetime": report.expected_at,
        "resolved_at": report.resolved_at,
        "closed_at": report.closed_at,
        "status_note": "",
        "response_text": "",
        "result_text": "",
        "rating": None,
        "photos": [],
        "synthetic": report.synthetic,
        "parent": None,
    }
    if with_history:
        view["history"] = [{**row, "note": "", "reason": ""} for row in _events(report, public_only=True)]
    return view


def handler_view(report: Report, *, now=None) -> dict:
    """The unit's view: everything about the case, no reporter contact data."""
    view = public_view(report, citizen=True, with_history=False)
    view.update({
        "description": report.description,
        "address": report.address,
        "public": report.public,
        "channel": report.channel,
        "routing_rule": report.routing_rule_id,
        "verified_at": report.verified_at,
        "assigned_at": report.assigned_at,
        "accept_due": report.accept_due,
        "accepted_at": report.accepted_at,
        "handle_due": report.handle_due,
        "deadline": sla.deadline_status(report, now).as_dict(),
        "rating_comment": report.rating_comment,
        "reopen_count": report.reopen_count,
        "photos": [_photo(p) for p in report.photos.all()],
        "history": _events(report, public_only=False),
    })
    return view


def operator_view(report: Report, *, now=None) -> dict:
    view = handler_view(report, now=now)
    view.update({name: getattr(report, name) for name in CONTACT_FIELDS})
    view["api_client"] = report.api_client.name if report.api_client_id else None
    return view


def view_for(actor: Actor | None, report: Report, *, now=None) -> dict:
    if actor is not None and actor.is_operator:
        return operator_view(report, now=now)
    if actor is not None and actor.is_staff_actor and actor.can_see(report):
        return handler_view(report, now=now)
    return public_view(report)
