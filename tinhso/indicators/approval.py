"""The approval step: a figure a person entered counts once a *second* person approved it.

DHIS2's data-approval workflow, reduced to one level: an observation written by the web form, the
web import or the admin has ``review_required`` set and stays *pending* (shown in its history and
on the approval page, never in progress, charts, forecasts, the IOC wall or open data) until a
holder of ``indicators.approve_observations`` whose scope covers its unit decides:

- **approved**: from then on it is the counted figure of its (indicator, unit, level, period)
  (:meth:`~tinhso.indicators.models.ObservationQuerySet.counted`);
- **rejected**: it never counts; the earlier counted figure, if any, stays.

Rules: the person who entered a figure cannot decide on it; a decision is written once
(:class:`~tinhso.indicators.models.ObservationReview`, append-only); only the newest entry of a key
can be decided (an older pending one was replaced by a later entry). Both sides are told through
the notification outbox (:func:`tinhso.notify.send`, in the same transaction): the approvers of
the unit when a figure waits for them, the person who entered it when it is decided.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

from tinhso import notify
from tinhso.core import roles
from tinhso.core.errors import UserError
from tinhso.indicators import observations, permissions
from tinhso.indicators.models import Observation, ObservationReview, Plan, ReviewDecision
from tinhso.notify.outbox import render

APPROVE = "indicators.approve_observations"
TEMPLATES = "indicators/notify/"
# The IOC wall caches the plan block (tinhso.ioc.summary); a decision changes what counts.
IOC_CACHE_KEY = "ioc:indicators"


def may_approve(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(APPROVE)
                and permissions.import_scope(user))


def _same_person(obs: Observation, user) -> bool:
    if obs.entered_by_id is not None:
        return obs.entered_by_id == user.pk
    return obs.entered_by_name == user.get_username()


def pending(user=None, plan: Plan | None = None) -> list[Observation]:
    """Pending entries, newest first: of ``plan``'s indicators (for any unit: the plan's own, or a ward
    whose planner imported its figures from the plan's page), and (with ``user``) the ones ``user`` may
    decide on (in scope, entered by someone else)."""
    qs = Observation.objects.pending().select_related("indicator", "unit", "source", "entered_by")
    if plan is not None:
        qs = qs.filter(indicator__in=plan.items.values("indicator"))
    rows = list(qs.order_by("-entered_at", "-id"))
    if user is not None:
        allowed = permissions.unit_checker(permissions.import_scope(user))
        rows = [o for o in rows if allowed(o.unit) and not _same_person(o, user)]
    return rows


def approvers_for(obs: Observation, exclude=None) -> list:
    """Active users who may decide on ``obs`` (permission and scope), ``exclude`` left out."""
    out = []
    for user in roles.holders(APPROVE):
        if exclude is not None and user.pk == exclude.pk:
            continue
        if permissions.unit_checker(permissions.import_scope(user))(obs.unit):
            out.append(user)
    return out


def _context(obs: Observation, plan: Plan | None, **extra) -> dict:
    ind = obs.indicator
    value = "—" if obs.value is None else f"{obs.qualifier}{obs.value:g}"
    path = f"/ke-hoach/{plan.code}/duyet" if plan else "/ke-hoach"
    return {"indicator": ind.name_vi, "indicator_en": ind.name_en, "code": ind.code, "unit": obs.unit.name,
            "period": obs.period, "value": value, "uom": ind.unit_of_measure, "entered_by": obs.entered_by_name,
            "url": notify.site_url(path), **extra}


def notify_entered(entries: list[Observation], user, plan: Plan | None = None) -> None:
    """Tell the approvers of each entry's unit that figures wait for them (one message per approver)."""
    if not entries:
        return
    recipients: dict[int, object] = {}
    for obs in entries:
        for approver in approvers_for(obs, exclude=user):
            recipients[approver.pk] = approver
    if not recipients:
        return
    first = entries[0]
    text = render(TEMPLATES + "values_entered", _context(
        first, plan, count=len(entries), codes=", ".join(o.indicator.code for o in entries)))
    notify.send("indicator_values_entered", subject=text.subject, body=text.body, users=list(recipients.values()),
                ref_app="indicators", ref_code=plan.code if plan else first.indicator.code,
                ref_url=_context(first, plan)["url"], data={"count": len(entries), "period": first.period})


@transaction.atomic
def decide(obs: Observation, user, decision: str, note: str = "", plan: Plan | None = None) -> ObservationReview:
    """Approve or reject a pending entry as ``user``; raises :class:`UserError` on any rule broken."""
    if decision not in ReviewDecision.values:
        raise UserError("unknown_decision", f"Quyết định {decision!r} không hợp lệ (approved|rejected)",
                        f"Unknown decision {decision!r} (approved|rejected)", field="decision")
    if not may_approve(user):
        raise UserError("forbidden", "Tài khoản của bạn không được duyệt số liệu.",
                        "Your account may not approve figures.", status=403)
    obs = Observation.objects.select_for_update().select_related("indicator", "unit").get(pk=obs.pk)
    if not obs.review_required:
        raise UserError("review_not_required", "Số liệu này không cần duyệt", "This figure needs no approval",
                        field="observation", status=409)
    if ObservationReview.objects.filter(observation=obs).exists():
        raise UserError("already_reviewed", "Số liệu này đã được duyệt hoặc trả lại",
                        "This figure was already approved or rejected", field="observation", status=409)
    if _same_person(obs, user):
        raise UserError("same_person", "Người nhập số liệu không thể tự duyệt: cần một người thứ hai",
                        "The person who entered a figure cannot approve it: a second person must",
                        field="observation", status=403)
    if not permissions.unit_checker(permissions.import_scope(user))(obs.unit):
        raise UserError("forbidden", f"{obs.unit.name} ngoài phạm vi được giao", f"{obs.unit.name} is outside "
                        f"your scope", field="observation", status=403)
    newest = observations.latest(obs.indicator, obs.unit, obs.level, obs.period)
    if newest is not None and newest.pk != obs.pk:
        raise UserError("superseded", "Đã có số liệu mới hơn cho cùng chỉ tiêu và kỳ: hãy duyệt số liệu mới nhất",
                        "A newer figure was entered for the same indicator and period: decide on the newest",
                        field="observation", status=409)
    review = ObservationReview.objects.create(observation=obs, decision=decision, reviewed_by=user,
                                              reviewed_by_name=user.get_username(), note=note[:300])
    if obs.entered_by is not None:
        kind = "value_approved" if decision == ReviewDecision.APPROVED else "value_rejected"
        text = render(TEMPLATES + kind, _context(obs, plan, reviewer=review.reviewed_by_name,
                                                               note=review.note))
        notify.send(f"indicator_{kind}", subject=text.subject, body=text.body, users=[obs.entered_by],
                    ref_app="indicators", ref_code=plan.code if plan else obs.indicator.code,
                    ref_url=notify.site_url(f"/ke-hoach/{plan.code}" if plan else "/ke-hoach"),
                    data={"indicator": obs.indicator.code, "period": obs.period, "decision": decision})
    transaction.on_commit(lambda: cache.delete(IOC_CACHE_KEY))
    return review
