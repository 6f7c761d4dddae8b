"""What a detector hands to the monthly report.

A :class:`Finding` is one thing worth a leader's attention (a category rising in a commune, a
ward whose on-time rate collapsed, a cluster of reports in one street…). It carries:

- who should act (``unit_code``/``unit_name``/``unit_kind``) — the responsible unit, with its English
  name in ``unit_name_en`` ("" when it has none: English text then uses ``unit_name``);
- every number its sentence uses (``figures``), so the text is a pure function of the data;
- the rule that produced it (``rule``, with its parameters) and a ``confidence`` in [0, 1];
- the evidence: links to the records behind it and an optional series for a chart. Evidence leads
  to exactly the records the sentence counts: one link per record (``/ioc/phan-anh/<code>``, at most
  ``RECORD_CAP``; ``more_records`` says how many more were counted), or a page showing the same
  figure. A page that shows related but differently counted figures is a ``context`` link, shown apart.

Sentences come from Jinja2 templates keyed by ``kind`` (``finding_vi``/``finding_en`` and
``action_vi``/``action_en`` in the detector's entry of ``data/detectors.toml``). Templates may use
only ``figures``, ``subject`` and the unit fields (``unit_name`` is the English name in English text,
when the unit has one), with these filters provided by the renderer
(Babel, Vietnamese or English formats): ``num`` (1.234 / 1,234), ``pct`` (a fraction 0–1 →
"12,5 %"), ``pp`` (a difference of fractions → "+3,2 điểm %"), ``signed`` (+3 / −3), ``date``,
``month`` ("tháng 10/2025" / "October 2025").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal

UnitKind = Literal["province", "commune", "handling_unit", "agency"]


@dataclasses.dataclass(frozen=True)
class Link:
    """A link to the records behind a figure: one record, or a page showing the same figure; with
    ``context``, a page of related figures counted otherwise (shown apart, never as evidence)."""

    label_vi: str
    label_en: str
    url: str
    context: bool = False


@dataclasses.dataclass(frozen=True)
class Series:
    """A chart's data: x labels (ISO dates or period labels), observed values, and optionally the
    expected values and a band (the detector's model), all the same length."""

    title_vi: str
    title_en: str
    x: list[str]
    observed: list[float]
    expected: list[float] | None = None
    lower: list[float] | None = None
    upper: list[float] | None = None
    unit: str = ""  # "reports", "%", "points", …


@dataclasses.dataclass(frozen=True)
class Finding:
    kind: str                      # detector key, e.g. "rising_category"; selects the templates
    unit_code: str                 # the responsible unit's code
    unit_name: str
    unit_kind: UnitKind
    severity: float                # orders findings within a report (larger first)
    confidence: float              # in [0, 1]; e.g. 1 - p-value, or the share of replications
    rule: str                      # the rule and its parameters, e.g. "MSTL residual z ≥ 3.09 (α = 0.001)"
    figures: dict[str, Any]        # every number the sentence uses
    subject: dict[str, Any] = dataclasses.field(default_factory=dict)  # category, commune, place…
    links: list[Link] = dataclasses.field(default_factory=list)
    series: Series | None = None
    area: str = "reports"          # "reports" | "dossiers" | "plan" | "indices"
    unit_name_en: str = ""         # the unit's English name ("": English text falls back to unit_name)
    more_records: int = 0          # records counted by the figure beyond those linked (the cap)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Context:
    """What a detector is asked: the month analysed (its first day), optionally one unit (its
    code: a commune, a handling unit or an agency; then only findings about it), the province,
    and the detector's parameters (its table in ``data/detectors.toml``)."""

    month: dt.date
    unit: str | None = None
    province: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def month_end(self) -> dt.date:
        """First day of the following month (exclusive end)."""
        y, m = (self.month.year + 1, 1) if self.month.month == 12 else (self.month.year, self.month.month + 1)
        return dt.date(y, m, 1)
