"""Changing a plan's targets, every change recorded as an append-only :class:`TargetRevision`.

A target is edited in place (the plan's current figure is one row), but never without a trace: the
admin and the data-file loader both go through :func:`change` / :func:`record` / :func:`delete`,
which write the revision — previous and new values, who, when, why — in the same transaction. A
change that changes nothing writes nothing, so loading the same data file twice adds no revision.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from tinhso.core.errors import UserError
from tinhso.core.text import nfc
from tinhso.indicators.models import Plan, PlanIndicator, Target, TargetChange, TargetRevision

# The fields a revision records (``source`` by its key), in display order.
TRACKED = ("milestone", "level", "value", "value_high", "comparator", "source", "quote")


def snapshot(target: Target) -> dict:
    """The tracked values of ``target`` as JSON (what a revision stores)."""
    return {
        "milestone": target.milestone, "level": target.level,
        "value": None if target.value is None else float(target.value),
        "value_high": None if target.value_high is None else float(target.value_high),
        "comparator": target.comparator, "source": target.source.key if target.source_id else None,
        "quote": target.quote,
    }


def _who(by, by_name: str) -> str:
    name = by_name or (by.get_username() if by is not None else "")
    if not name:
        raise UserError("changed_by_required", "Thiếu người thay đổi chỉ tiêu", "Who changes the target is required",
                        field="changed_by")
    return name


@transaction.atomic
def change(target: Target, *, by=None, by_name: str = "", note: str = "", **values) -> TargetRevision | None:
    """Set ``values`` on ``target`` (new or existing) and record the revision; None if nothing changed.

    The previous values are read from the database, not from ``target``: the admin hands over an
    instance its form has already modified.
    """
    unknown = set(values) - set(TRACKED)
    if unknown:
        raise TypeError(f"not target fields: {sorted(unknown)}")
    stored = Target.objects.select_for_update().filter(pk=target.pk).first() if target.pk else None
    previous = snapshot(stored) if stored is not None else {}
    for name, value in values.items():
        setattr(target, name, value)
    target.quote = nfc(target.quote or "")
    new = snapshot(target)
    if new == previous:
        return None
    name = _who(by, by_name)
    try:
        target.full_clean()
    except ValidationError as exc:
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
        raise UserError("invalid_target", f"Chỉ tiêu không hợp lệ: {text}", f"Invalid target: {text}",
                        field="target") from exc
    target.save()
    return TargetRevision.objects.create(
        item=target.item, milestone=target.milestone, level=target.level,
        kind=TargetChange.CHANGED if stored is not None else TargetChange.CREATED,
        previous=previous, new=new, changed_by=by, changed_by_name=name, note=nfc(note))


@transaction.atomic
def record(item: PlanIndicator, milestone: int, level: str, *, by=None, by_name: str = "", note: str = "",
           **values) -> tuple[Target, str]:
    """Create or update the target of (item, milestone, level); outcome created|changed|unchanged."""
    target = (Target.objects.filter(item=item, milestone=milestone, level=level).first()
              or Target(item=item, milestone=milestone, level=level))
    revision = change(target, by=by, by_name=by_name, note=note, **values)
    return target, "unchanged" if revision is None else revision.kind


@transaction.atomic
def delete(target: Target, *, by=None, by_name: str = "", note: str = "") -> TargetRevision:
    """Delete ``target``; the revision keeps its last values."""
    name = _who(by, by_name)
    stored = Target.objects.select_for_update().get(pk=target.pk)
    revision = TargetRevision.objects.create(
        item=stored.item, milestone=stored.milestone, level=stored.level, kind=TargetChange.DELETED,
        previous=snapshot(stored), new={}, changed_by=by, changed_by_name=name, note=nfc(note))
    stored.delete()
    return revision


def history(plan: Plan, indicator) -> list[TargetRevision]:
    """Every recorded change to the plan's targets for ``indicator``, oldest first."""
    return list(TargetRevision.objects.filter(item__plan=plan, item__indicator=indicator)
                .select_related("changed_by").order_by("changed_at", "id"))


def differences(revision: TargetRevision) -> list[tuple[str, object, object]]:
    """``(field, before, after)`` for each tracked field the revision changed (all of them for a
    creation or deletion, the other side being None)."""
    return [(field, revision.previous.get(field), revision.new.get(field)) for field in TRACKED
            if revision.previous.get(field) != revision.new.get(field)]
