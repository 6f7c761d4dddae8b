"""IOC operator actions: verify, reject, forward (routing), reassign, correct category/position.

Each function checks the actor's rights through :mod:`tinhso.reports.workflow` (one transition,
one history event) and returns the report.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.reports import intake, routing, sla, workflow
from tinhso.reports.models import HandlingUnit, Report, Severity
from tinhso.reports.permissions import Actor


def _unit(code: str) -> HandlingUnit:
    unit = HandlingUnit.objects.filter(code=code, active=True).first()
    if unit is None:
        raise UserError("unknown_unit", f"Đơn vị xử lý “{code}” không tồn tại.", f"Unknown handling unit {code!r}.",
                        field="unit")
    return unit


def verify(report: Report, actor: Actor, *, note: str = "", forward_now: bool = True,
           unit_code: str | None = None, now: dt.datetime | None = None) -> Report:
    """Accept the report as genuine; by default forward it at once (two history events)."""
    workflow.transition(report, "verify", actor, note=note, now=now)
    if forward_now:
        forward(report, actor, unit_code=unit_code, now=now)
    return report


def forward(report: Report, actor: Actor, *, unit_code: str | None = None, note: str = "",
            now: dt.datetime | None = None) -> Report:
    """Send to a unit: the one named, else the routing rules' choice (recorded on the report)."""
    if unit_code:
        unit, rule = _unit(unit_code), None
    else:
        found = routing.route_report(report)
        if found.unit is None:
            raise UserError("no_route", "Không xác định được đơn vị xử lý; hãy chọn đơn vị.",
                            "No handling unit found by the routing rules; choose one.", field="unit", status=409)
        unit, rule = found.unit, found.rule
    workflow.transition(report, "forward", actor, now=now, note=note or routing.forwarded_note(unit),
                        changes={"handling_unit": unit, "routing_rule": rule},
                        data={"unit": unit.code, "rule": rule.pk if rule else None, "manual": bool(unit_code)})
    return report


def reassign(report: Report, actor: Actor, *, unit_code: str, reason: str,
             now: dt.datetime | None = None) -> Report:
    unit = _unit(unit_code)
    workflow.transition(report, "reassign", actor, note=reason, now=now,
                        changes={"handling_unit": unit, "routing_rule": None},
                        data={"unit": unit.code, "previous_unit": report.handling_unit.code
                              if report.handling_unit_id else None})
    return report


# Why an operator rejects a report: the code is stored in the event's data ({"reason": code}), the
# operator's own words in its note; pages name the reason in their language (REJECT_REASONS[code]).
REJECT_REASONS = {
    "spam": ("Tin rác", "Spam"),
    "duplicate": ("Trùng lặp", "Duplicate"),
    "out_of_scope": ("Không thuộc phạm vi xử lý", "Out of scope"),
    "other": ("Lý do khác", "Other reason"),
}


def split_old_reject_note(note: str) -> tuple[str, str] | None:
    """(reason code, the operator's text) of a rejection written before the reason was a code, whose
    note reads "Tin rác / Spam: <text>"; None for any other note. History rows are never rewritten:
    pages read old rows through this."""
    for code, (vi, en) in REJECT_REASONS.items():
        prefix = f"{vi} / {en}: "
        if (note or "").startswith(prefix):
            return code, note[len(prefix):]
    return None


def reject_reason(code: str, *, english: bool) -> str:
    """A reject reason's name in one language ("" for no or an unknown code)."""
    names = REJECT_REASONS.get(code or "")
    return (names[1] if english else names[0]) if names else ""


def reject(report: Report, actor: Actor, *, reason: str, kind: str = "", now: dt.datetime | None = None) -> Report:
    """Reject (spam, duplicate, out of scope …); the reason is shown to the citizen.

    ``reason`` is the operator's text (the event's note); ``kind`` one of :data:`REJECT_REASONS`, kept
    as data so each page and e-mail names it in its own language. Open311's ``status_notes`` (one
    text, the source language) gets "<reason>: <text>"."""
    if kind and kind not in REJECT_REASONS:
        raise UserError("bad_reason_kind", f"Lý do từ chối không hợp lệ: {kind}.", f"Unknown reject reason {kind!r}.",
                        field="reason_kind")
    with transaction.atomic():
        workflow.transition(report, "reject", actor, note=reason, now=now, data={"reason": kind} if kind else None)
        if kind and report.status_note:
            report.status_note = f"{REJECT_REASONS[kind][0]}: {report.status_note}"
            Report.objects.filter(pk=report.pk).update(status_note=report.status_note)
    return report


def correct(report: Report, actor: Actor, *, category: str | None = None, lat=None, lon=None,
            severity: str | None = None, note: str = "", now: dt.datetime | None = None) -> Report:
    """Correct category, position or severity before forwarding; old and new values are recorded."""
    changes, before = {}, {}
    if category is not None:
        cat = intake.get_category(category)
        if cat.pk != report.category_id:
            changes["category"], before["category"] = cat, report.category.code
    if lat is not None or lon is not None:
        where = intake.locate_in_province(lat if lat is not None else report.lat,
                                          lon if lon is not None else report.lon)
        before.update(lat=report.lat, lon=report.lon, commune=report.commune_id)
        changes.update(lat=where.lat, lon=where.lon, commune_id=where.commune_id,
                       boundary_version_id=where.boundary_version_id)
    if severity is not None and severity != report.severity:
        if severity not in Severity.values:
            raise UserError("bad_severity", f"Mức độ không hợp lệ: {severity}.", f"Unknown severity {severity!r}.",
                            field="severity")
        changes["severity"], before["severity"] = severity, report.severity
    if not changes:
        raise UserError("nothing_to_correct", "Không có thông tin nào thay đổi.", "Nothing to change.")
    after = {k: (v.code if hasattr(v, "code") else v) for k, v in changes.items()}
    for name, value in changes.items():
        setattr(report, name, value)
    sla.recompute_after_correction(report)
    changes.update(accept_due=report.accept_due)
    workflow.transition(report, "correct", actor, note=note, now=now, changes=changes,
                        data={"before": before, "after": after})
    return report
