"""Recording observations (append-only, with revisions) and reading the series that counts.

A correction never edits a row: it appends a new observation that ``supersedes`` the latest one
for the same (indicator, unit, level, period). The latest *counted* row counts
(:meth:`~tinhso.indicators.models.ObservationQuerySet.counted`: a figure a person entered on the
web form or by import counts only once a second person approved it, see
:mod:`tinhso.indicators.approval`); :func:`history` shows all, pending and rejected ones included.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models, transaction

from tinhso.core.errors import UserError
from tinhso.core.text import nfc
from tinhso.geo.models import Structure, Unit
from tinhso.indicators.models import (
    AdminLevel,
    Comparator,
    Indicator,
    Observation,
    ObservationReview,
    ReviewDecision,
    Source,
)


def resolve_unit(ref: str) -> Unit:
    """A unit from ``"structure:code"`` (``"legacy:60"``) or a bare code (current structure)."""
    text = str(ref or "").strip()
    structure, _, code = text.rpartition(":")
    structure = structure or Structure.CURRENT
    if structure not in Structure.values:
        raise UserError("unknown_structure", f"Cơ cấu hành chính {structure!r} không hợp lệ (current|legacy)",
                        f"Unknown administrative structure {structure!r} (current|legacy)", field="unit")
    unit = Unit.objects.filter(structure=structure, code=code).first()
    if unit is None:
        raise UserError("unit_not_found", f"Không có đơn vị mã {code!r} trong cơ cấu {structure}",
                        f"No unit with code {code!r} in the {structure} structure", field="unit", status=404)
    return unit


def unit_ref(unit: Unit) -> str:
    return f"{unit.structure}:{unit.code}"


@dataclass(frozen=True)
class ObservationInput:
    indicator: Indicator
    unit: Unit
    period: int
    source: Source
    value: float | None = None
    level: str = AdminLevel.ALL
    qualifier: str = Comparator.EXACT
    reported_met_milestone: int | None = None
    period_label: str = ""
    quote: str = ""
    note: str = ""
    revision_note: str = ""

    def same_as(self, obs: Observation) -> bool:
        """Says exactly what ``obs`` says (a changed quote, note or period wording is a revision too)."""
        return (obs.value == self.value and obs.qualifier == self.qualifier and obs.source_id == self.source.pk
                and obs.reported_met_milestone == self.reported_met_milestone
                and (obs.period_label, obs.quote, obs.note) == (nfc(self.period_label), nfc(self.quote),
                                                                nfc(self.note)))


def validate(data: ObservationInput) -> None:
    if data.value is None and data.reported_met_milestone is None:
        raise UserError("value_required", "Thiếu giá trị (hoặc ghi nhận nguồn nói đã đạt chỉ tiêu)",
                        "A value is required (or a source statement that the target was met)", field="value")
    if data.level not in AdminLevel.values:
        raise UserError("unknown_level", f"Cấp {data.level!r} không hợp lệ", f"Unknown level {data.level!r}",
                        field="level")
    if data.qualifier not in Comparator.values:
        raise UserError("unknown_qualifier", f"Dấu so sánh {data.qualifier!r} không hợp lệ",
                        f"Unknown qualifier {data.qualifier!r}", field="qualifier")
    if not 1900 <= data.period <= 2100:
        raise UserError("bad_period", f"Kỳ {data.period} ngoài khoảng 1900–2100",
                        f"Period {data.period} is outside 1900–2100", field="period")


def latest(indicator: Indicator, unit: Unit, level: str, period: int) -> Observation | None:
    """The newest row for the key that was not rejected (pending or counted): what a new entry revises."""
    return (Observation.objects.filter(indicator=indicator, unit=unit, level=level, period=period).not_rejected()
            .order_by("-entered_at", "-id").first())


@transaction.atomic
def record(data: ObservationInput, *, entered_by=None, entered_by_name: str = "",
           review_required: bool = False) -> tuple[Observation, str]:
    """Append an observation; returns ``(observation, outcome)`` with outcome created|revised|unchanged.

    ``review_required``: a person's entry (web form, import), counted only once a second person
    approves it (:mod:`tinhso.indicators.approval`); the source loaders write reviewed transcriptions.

    If the latest row for the same key already says the same thing, nothing is written
    (``unchanged``), so loading the same file twice adds nothing.
    """
    validate(data)
    current = latest(data.indicator, data.unit, data.level, data.period)
    if current is not None and data.same_as(current):
        return current, "unchanged"
    name = entered_by_name or (entered_by.get_username() if entered_by is not None else "")
    if not name:
        raise UserError("entered_by_required", "Thiếu người nhập", "Who entered the figure is required",
                        field="entered_by")
    obs = Observation.objects.create(
        indicator=data.indicator, unit=data.unit, level=data.level, period=data.period,
        period_label=nfc(data.period_label), value=data.value, qualifier=data.qualifier,
        reported_met_milestone=data.reported_met_milestone, source=data.source, quote=nfc(data.quote),
        note=nfc(data.note), supersedes=current, revision_note=nfc(data.revision_note),
        entered_by=entered_by, entered_by_name=name, review_required=review_required,
    )
    return obs, "revised" if current is not None else "created"


def current_rows(indicator: Indicator, unit: Unit, level: str | None = None,
                 as_of: dt.datetime | None = None) -> list[Observation]:
    """The observation that counts for each (level, period): the latest counted one; with ``as_of``, as
    the record stood then (rows entered before it, and of those needing review, the ones approved before
    it)."""
    qs = Observation.objects.counted().filter(indicator=indicator, unit=unit).select_related("source")
    if as_of is not None:
        approved = ObservationReview.objects.filter(observation=models.OuterRef("pk"), decision=ReviewDecision.APPROVED,
                                                    reviewed_at__lt=as_of)
        qs = qs.filter(entered_at__lt=as_of).filter(models.Q(review_required=False) | models.Exists(approved))
    if level is not None:
        qs = qs.filter(level=level)
    by_key: dict[tuple[str, int], Observation] = {}
    for obs in qs.order_by("entered_at", "id"):
        by_key[(obs.level, obs.period)] = obs
    return sorted(by_key.values(), key=lambda o: (o.level, o.period))


def history(indicator: Indicator, unit: Unit) -> list[Observation]:
    """Every row ever entered, oldest first, superseded ones included."""
    return list(Observation.objects.filter(indicator=indicator, unit=unit)
                .select_related("source").prefetch_related("reviews").order_by("level", "period", "entered_at", "id"))


def counted_current() -> list[Observation]:
    """The counted row of every (indicator, unit, level, period) (open data publishes these)."""
    by_key: dict[tuple, Observation] = {}
    for obs in (Observation.objects.counted().select_related("indicator", "unit", "source")
                .order_by("entered_at", "id")):
        by_key[(obs.indicator_id, obs.unit_id, obs.level, obs.period)] = obs
    return list(by_key.values())
