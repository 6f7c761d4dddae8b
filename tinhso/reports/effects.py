"""Effects injected into synthetic reports, so that the monthly analysis can be checked against a
known truth (``tinhso reports generate --effects N``).

Each effect is placed at random (its own seeded stream: the base reports are unchanged) in one month:

- ``category_doubles``: one category in one commune gets at least as many extra reports as it
  usually has in a month, spread over the month, and never fewer than a detectable rise
  (:func:`detectable_extra`: at least ``MIN_EXTRA``, and a month count whose Poisson upper tail at the
  usual count is at most ``DETECTABLE_TAIL``: a doubling of 3 reports is chance among a thousand
  commune × category cells, a rise to 19 is not);
- ``on_time_collapse``: the handling committee of one ward resolves late everything it resolves
  that month (its reports of the month are re-planned past their deadline, topped up with
  ``MIN_RESOLVED`` new ones not resolved before it); what was resolved before the month is left as it
  was (the collapse must not leak into the months it is compared with);
- ``street_cluster``: ``CLUSTER_SIZE`` reports of one category within about 50 m of one point of a
  commune, within ten days.

Every injected report is synthetic like the rest. :class:`Effect` says what was injected: kind,
unit (the commune, or the handling unit for ``on_time_collapse``), category, month and place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random

from django.utils import timezone

KINDS = ("category_doubles", "on_time_collapse", "street_cluster")
MIN_EXTRA = 16
DETECTABLE_TAIL = 1e-9
MIN_RESOLVED = 20
CLUSTER_SIZE = (12, 18)
CLUSTER_SIGMA_M = 30.0
# Categories a commune committee handles itself (no routing rule sends them elsewhere at normal severity).
COMMITTEE_CATEGORIES = ("traffic", "urban-order", "environment", "other")


@dataclasses.dataclass
class Effect:
    kind: str
    unit_code: str            # commune code (geo), or handling unit code for on_time_collapse
    unit_name: str
    month: str                # YYYY-MM
    category: str = ""
    commune_code: str = ""
    place: tuple[float, float] | None = None
    reports: int = 0          # reports added or re-planned
    added: int = 0            # of which new reports

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["place"] = list(self.place) if self.place else None
        return out

    def line(self) -> str:
        where = f" at {self.place[0]:.5f},{self.place[1]:.5f}" if self.place else ""
        cat = f" category={self.category}" if self.category else ""
        return f"{self.kind}: unit={self.unit_code} ({self.unit_name}){cat} month={self.month}{where} reports={self.reports}"


def last_complete_month(now: dt.datetime) -> dt.date:
    local = timezone.localtime(now).date()
    first = local.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _month_window(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    tz = timezone.get_default_timezone()
    return (dt.datetime.combine(month, dt.time(), tz), dt.datetime.combine(nxt, dt.time(), tz))


def _moment(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    t = start + (end - start) * rng.random()
    return t.replace(hour=rng.randint(7, 19), minute=rng.randint(0, 59), second=0, microsecond=0)


def detectable_extra(usual: float) -> int:
    """Extra reports for a ``category_doubles`` cell that usually has ``usual`` a month: at least
    ``usual`` (a doubling) and ``MIN_EXTRA``, and enough that P(X ≥ usual + extra) ≤ ``DETECTABLE_TAIL``
    for X ~ Poisson(max(usual, 1)). The detector's beta-binomial tail is wider (the usual share is
    estimated from a few months), by up to ~10³ here: the cell's p-value stays below α / 10,000 cells."""
    from scipy import stats

    base = math.floor(usual)
    extra = max(math.ceil(usual), MIN_EXTRA)
    while stats.poisson.sf(base + extra - 1, max(usual, 1.0)) > DETECTABLE_TAIL:
        extra += 1
    return extra


def _resolved_before(plan, start: dt.datetime) -> bool:
    resolved = plan.report.resolved_at
    return resolved is not None and resolved < start


def _is_ward(commune) -> bool:
    return commune.name.startswith("Phường") or commune.unit_type in ("phường", "Phường")


def inject(plans: list, n: int, *, seed: int, now: dt.datetime, month: dt.date | None, communes, categories: dict,
           codes: list[str], policy, rules, route_cache: dict) -> list[Effect]:
    """Add ``n`` effects to ``plans`` (a list of :class:`tinhso.reports.synthetic.Plan`, changed in place)."""
    from tinhso.geo.locator import locate_many
    from tinhso.reports import synthetic
    from tinhso.reports.models import HandlingUnit, UnitKind

    rng = random.Random(seed * 1_000_003 + 7919)
    month = month or last_complete_month(now)
    start, end = _month_window(month)
    label = f"{month:%Y-%m}"
    committees = {h.commune_id: h for h in HandlingUnit.objects.filter(kind=UnitKind.COMMUNE_COMMITTEE)}
    wards = [c for c in communes if _is_ward(c) and c.pk in committees] or [c for c in communes if c.pk in committees]
    used: set = set()
    out: list[Effect] = []
    kinds = [KINDS[i % len(KINDS)] for i in range(n)]
    rng.shuffle(kinds)
    months_of_history = max(1.0, sum(1 for p in plans if p.report.created_at < start) / max(1, len(plans)) * 6)

    def plan(category, commune, lat, lon, created, late=False):
        return synthetic.plan_report(rng, policy, category, commune, lat, lon, route_cache, rules, now,
                                     created=created, force_late=late)

    def points_in(commune, k, sigma_m=None, centre=None):
        got = []
        for _ in range(20):
            if len(got) >= k:
                break
            cand = []
            for _ in range(2 * (k - len(got)) + 4):
                if centre:
                    lat0, lon0, s = centre[0], centre[1], sigma_m / 1000.0
                else:
                    lat0, lon0, s = commune.lat, commune.lon, max(0.3, math.sqrt(commune.area_km2 or 20.0) / 4)
                cand.append((round(lat0 + rng.gauss(0, s / 111.0), 6),
                             round(lon0 + rng.gauss(0, s / (111.0 * math.cos(math.radians(lat0)))), 6)))
            for pt, found in zip(cand, locate_many(cand)):
                if found.get("status") == "ok" and found["commune"]["code"] == commune.code and len(got) < k:
                    got.append(pt)
        return got

    for kind in kinds:
        if kind == "category_doubles":
            choices = [c for c in communes if c.pk not in used]
            commune = rng.choice(choices)
            code = rng.choices(codes, [synthetic.CATEGORY_WEIGHTS.get(c, 1) for c in codes])[0]
            usual = sum(1 for p in plans if p.report.commune_id == commune.pk and p.report.category.code == code
                        and p.report.created_at < start) / months_of_history
            extra = detectable_extra(usual)
            for lat, lon in points_in(commune, extra):
                plans.append(plan(categories[code], commune, lat, lon, _moment(rng, start, end)))
            used.add(commune.pk)
            out.append(Effect(kind, commune.code, commune.name, label, category=code, commune_code=commune.code,
                              reports=extra, added=extra))
        elif kind == "on_time_collapse":
            choices = [c for c in wards if c.pk not in used] or wards
            commune = rng.choice(choices)
            unit = committees[commune.pk]
            # Every report of the ward's committee created from two weeks before the month to its end is
            # re-planned late (a deadline of five working days: most are then resolved in the month).
            low, high = start - dt.timedelta(days=14), end - dt.timedelta(days=16)
            own = [i for i, p in enumerate(plans) if p.report.handling_unit_id == unit.pk
                   and low <= p.report.created_at < end]
            replaced = 0
            for i in own:
                r = plans[i].report
                if _resolved_before(plans[i], start):
                    continue  # already resolved before the month: history, unchanged
                late = plan(r.category, commune, r.lat, r.lon, r.created_at, late=True)
                if _resolved_before(late, start):
                    continue  # would be resolved (late) before the month: the history stays as it was
                plans[i] = late
                replaced += 1
            cats = [c for c in COMMITTEE_CATEGORIES if c in categories]
            top_up = 0
            for lat, lon in points_in(commune, 2 * MIN_RESOLVED):
                extra = plan(categories[rng.choice(cats)], commune, lat, lon, _moment(rng, low, high), late=True)
                if not _resolved_before(extra, start) and top_up < MIN_RESOLVED:
                    plans.append(extra)
                    top_up += 1
            used.add(commune.pk)
            out.append(Effect(kind, unit.code, unit.name, label, commune_code=commune.code,
                              reports=replaced + top_up, added=top_up))
        else:
            choices = [c for c in wards if c.pk not in used] or [c for c in communes if c.pk not in used]
            commune = rng.choice(choices)
            centre = (points_in(commune, 1) or [(commune.lat, commune.lon)])[0]
            code = rng.choice([c for c in ("traffic", "environment", "urban-order") if c in categories] or codes)
            size = rng.randint(*CLUSTER_SIZE)
            first = start + dt.timedelta(days=rng.uniform(0, max(1.0, (end - start).days - 10)))
            for lat, lon in points_in(commune, size, CLUSTER_SIGMA_M, centre):
                plans.append(plan(categories[code], commune, lat, lon, _moment(rng, first, first + dt.timedelta(days=10))))
            used.add(commune.pk)
            out.append(Effect(kind, commune.code, commune.name, label, category=code, commune_code=commune.code,
                              place=centre, reports=size, added=size))
    return out
