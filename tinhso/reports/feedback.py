"""Citizen rating of the result (1–5, once): satisfied → closed; unhappy → may ask to reopen.

A rating ≤ 2 *with* a reason requests reopening at once (the IOC re-forwards it). A rating ≤ 2
*without* a reason is recorded and the report stays resolved (it is **not** closed): the tracking
page then offers the submitter to ask for reopening with a reason (:func:`request_reopen`), and
keeps offering it after an automatic closing. A rating is accepted once the report is resolved
(or was closed automatically without a rating). Reopening (by the citizen or the IOC) takes the
rating off the report — it judged the result being redone, and stays in the reopening event's
``data`` — so the next result is rated afresh and statistics count only the current rating.

Only the submitter rates: ``actor`` is the one :func:`tinhso.reports.citizen_secret.holder`
returns for the report's secret; the workflow refuses any other citizen actor (403).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.reports import workflow
from tinhso.reports.models import Report, State
from tinhso.reports.permissions import Actor

REOPEN_MAX_RATING = 2
MAX_COMMENT = 2000


def rate(report: Report, rating, *, actor: Actor, comment: str = "", now: dt.datetime | None = None) -> Report:
    # Rights first (the submitter only), whatever the rating says.
    workflow.check_rights(report, "rate", actor)
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5 or str(rating).strip() not in {str(value)}:
        raise UserError("bad_rating", "Điểm đánh giá phải từ 1 đến 5.", "The rating must be 1 to 5.", field="rating")
    if report.rating is not None:
        raise UserError("already_rated", "Phản ánh này đã được đánh giá.", "This report has already been rated.",
                        field="rating", status=409)
    comment = unicodedata.normalize("NFC", comment or "").strip()
    if len(comment) > MAX_COMMENT:  # refused, never cut
        raise UserError("comment_too_long", f"Ý kiến dài {len(comment)} ký tự, tối đa {MAX_COMMENT}.",
                        f"The comment has {len(comment)} characters; at most {MAX_COMMENT} are allowed.",
                        field="comment", details={"length": len(comment), "max": MAX_COMMENT})
    now = now or timezone.now()
    changes = {"rating": value, "rating_comment": comment, "rated_at": now}
    data = {"rating": value}
    if value <= REOPEN_MAX_RATING and comment:
        action = "request_reopen"
    elif value <= REOPEN_MAX_RATING:
        action = "rate"  # unhappy: never closed here, the citizen may still ask to reopen
    elif report.state == State.RESOLVED:
        action = "close"
    else:
        action = "rate"
    workflow.transition(report, action, actor, note=comment, now=now, changes=changes, data=data)
    return report


def may_ask_reopen(report: Report) -> bool:
    """Whether the submitter, unhappy (rating ≤ 2), may still ask to reopen the report."""
    return (report.rating is not None and report.rating <= REOPEN_MAX_RATING
            and report.state in workflow.BY_ACTION["request_reopen"].sources)


def request_reopen(report: Report, *, actor: Actor, reason: str, now: dt.datetime | None = None) -> Report:
    """An unhappy submitter (rating ≤ 2 already given) asks to reopen, with a reason."""
    workflow.check_rights(report, "request_reopen", actor)
    reason = unicodedata.normalize("NFC", reason or "").strip()
    if len(reason) > MAX_COMMENT:
        raise UserError("comment_too_long", f"Ý kiến dài {len(reason)} ký tự, tối đa {MAX_COMMENT}.",
                        f"The comment has {len(reason)} characters; at most {MAX_COMMENT} are allowed.",
                        field="comment", details={"length": len(reason), "max": MAX_COMMENT})
    if not may_ask_reopen(report):
        raise UserError("reopen_not_offered", "Chỉ đề nghị xử lý lại sau khi đánh giá 1 hoặc 2 điểm.",
                        "Reopening may be asked after a rating of 1 or 2.", status=409)
    if not reason:
        raise UserError("note_required", "Cần ghi lý do đề nghị xử lý lại.", "Write why it should be reopened.",
                        field="comment")
    workflow.transition(report, "request_reopen", actor, note=reason, now=now,
                        changes={"rating_comment": reason}, data={"rating": report.rating})
    return report
