"""Handling-unit actions: accept, request information, respond, return to the IOC, resolve.

Handlers act only on reports assigned to their own unit (others are 404). Resolving needs a
result text and at least one result photo (iHanoi lesson: answers without images are what
citizens are unhappy with).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.reports import media, workflow
from tinhso.reports.models import PhotoKind, Report
from tinhso.reports.permissions import Actor


def _text(text: str, field: str) -> str:
    text = unicodedata.normalize("NFC", text or "").strip()
    if len(text) > 4000:
        raise UserError("text_too_long", "Nội dung tối đa 4.000 ký tự.", "At most 4,000 characters.", field=field)
    return text


def accept(report: Report, actor: Actor, *, note: str = "", now: dt.datetime | None = None) -> Report:
    workflow.transition(report, "accept", actor, note=_text(note, "note"), now=now)
    return report


def request_info(report: Report, actor: Actor, *, question: str, now: dt.datetime | None = None) -> Report:
    """Ask the citizen for more information (public); the handle clock pauses."""
    workflow.transition(report, "request_info", actor, note=_text(question, "note"), now=now)
    return report


def provide_info(report: Report, actor: Actor, *, answer: str, now: dt.datetime | None = None) -> Report:
    """The submitter answers; the handle clock resumes, extended.

    ``actor`` is :func:`tinhso.reports.citizen_secret.holder` for the report's secret (else 403).
    """
    workflow.transition(report, "provide_info", actor, note=_text(answer, "note"), now=now)
    return report


def resume(report: Report, actor: Actor, *, note: str, now: dt.datetime | None = None) -> Report:
    workflow.transition(report, "resume", actor, note=_text(note, "note"), now=now)
    return report


def respond(report: Report, actor: Actor, *, text: str, now: dt.datetime | None = None) -> Report:
    """A public response to the citizen while handling continues."""
    text = _text(text, "text")
    workflow.transition(report, "respond", actor, note=text, now=now, changes={"response_text": text})
    return report


def return_to_ioc(report: Report, actor: Actor, *, reason: str, now: dt.datetime | None = None) -> Report:
    """Not this unit's competence: back to the IOC with a reason."""
    workflow.transition(report, "return_to_ioc", actor, note=_text(reason, "reason"), now=now,
                        changes={"handling_unit": None, "routing_rule": None},
                        data={"unit": report.handling_unit.code if report.handling_unit_id else None})
    return report


def resolve(report: Report, actor: Actor, *, result_text: str, photos, now: dt.datetime | None = None) -> Report:
    """Close the handling with a result text and ≥ 1 result photo (EXIF stripped)."""
    text = _text(result_text, "result_text")
    if not text:
        raise UserError("result_required", "Cần nội dung kết quả xử lý.", "A result text is required.",
                        field="result_text")
    workflow.check(report, "resolve", actor, text)
    cleaned = media.clean_uploads(photos, field="photos")
    if not cleaned:
        raise UserError("result_photo_required", "Cần ít nhất một ảnh kết quả xử lý.",
                        "At least one result photo is required.", field="photos")
    with transaction.atomic():
        workflow.transition(report, "resolve", actor, note=text, now=now,
                            changes={"result_text": text, "response_text": text},
                            data={"photos": len(cleaned)})
        for photo in cleaned:
            media.save_photo(report, photo, PhotoKind.RESULT)
    return report
