"""The staff queues (the IOC operator's and a handling unit's): what waits for *this* person first.

Order by default (FixMyStreet / Signalen / SeeClickFix style):

1. **overdue** — every report whose running clock is past due (:func:`tinhso.reports.sla.overdue_q`:
   a clock paused while waiting for the citizen does not run, so is not overdue), whatever it waits for;
2. **waiting** — what waits for the reader's action and is not overdue: for the IOC every report in
   triage (new, verified not yet forwarded, returned by a unit, reopened); for a unit the reports
   newly assigned to it (waiting for acceptance) and those where the citizen has just answered a
   question (``provide_info`` is the latest event);
3. **other** — the rest (within their deadline, or with a paused clock).

Overdue comes first so that "Overdue N" counts every overdue report the list shows (a report
waiting for the reader and past due is overdue first; its row still says it waits for the reader,
and the overdue tab says how many of its reports do).

In a unit's queue the reports assigned to the reader by name come first (:mod:`tinhso.reports.assignment`).
Inside a group: the nearest deadline first, then the newest. The groups partition the list, so
their counts (shown at the top and usable as filters) add up to the total.

An explicit ``sort`` (a key of :data:`SORT_KEYS`, ``-`` for descending) replaces that order.
The state filter is ``""`` (open reports), ``"all"`` or one or more states; the others narrow to a
category, a commune (current structure), a handling unit (codes) and the local days the report was
received (``since``/``until``, both included, in the installation's time zone: the days the IOC
wall counts a report under). Every filter applies before the groups are counted, so the counts
describe the filtered list. Everything is a queryset on
:func:`tinhso.reports.permissions.visible_reports` for a unit, so a unit (a commune's committee)
never sees another unit's report, whatever ``unit`` asks for. Bulk actions (:func:`bulk`) run each
item through the same service as the single action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import DateTimeField as DateTimeOut
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from tinhso.core.cellsafe import csv_row
from tinhso.core.errors import UserError
from tinhso.core.timebounds import day_range
from tinhso.reports import assignment, queries, sla, triage, workflow
from tinhso.reports.models import OPEN_STATES, Category, HandlingUnit, Report, ReportEvent, State
from tinhso.reports.permissions import (
    Actor,
    get_report_for,
    require_acting,
    require_operator,
    visible_reports,
)

IOC, UNIT = "ioc", "unit"
GROUPS = ("overdue", "waiting", "other")  # the order of the list and of the tabs
# Public sort keys → database expressions (a whitelist: nothing else reaches order_by).
SORT_KEYS = {
    "code": "code", "created": "created_at", "deadline": "due", "state": "state",
    "category": "category__name_vi", "commune": "commune__name", "unit": "handling_unit__name",
}
# An English page shows (so sorts by) the English names, the Vietnamese one where there is none.
ENGLISH_SORT_KEYS = {"category": "category__name_en", "commune": "commune__name_en", "unit": "handling_unit__name_en"}
MAX_BULK = 200
MAX_MAP_POINTS = 2000
IOC_WAITING = (State.SUBMITTED, State.VERIFIED, State.RETURNED_TO_IOC, State.REOPENED)


# Query-string names of the filters (the pages' links keep them; see Params.query).
FILTER_KEYS = ("state", "group", "sort", "q", "overdue", "mine", "category", "commune", "unit", "since", "until",
               "resolved", "rated")


@dataclass(frozen=True)
class Params:
    state: str = ""
    group: str = ""
    sort: str = ""
    q: str = ""
    overdue_only: bool = False
    mine: bool = False
    category: str = ""  # Category.code
    commune: str = ""  # the current-structure commune's code (geo.Unit.code)
    unit: str = ""  # HandlingUnit.code; a unit's queue stays limited to its own reports
    since: dt.date | None = None  # received on or after this local day
    until: dt.date | None = None  # received on or before this local day
    resolved: bool = False  # only the resolved reports (the IOC wall's on-time tile)
    rated: bool = False  # only the reports the citizen rated (the IOC wall's satisfaction tile)

    @classmethod
    def from_query(cls, get) -> Params:
        """From a request's GET, validated at the edge: an unknown sort, group, category, commune or
        unit code, or a date that is not a YYYY-MM-DD day (or an ``until`` before ``since``) is a
        400 naming the field, in Vietnamese and English."""
        def text(name: str) -> str:
            return (get.get(name) or "").strip()

        since, until = day_range(text("since"), text("until"))
        params = cls(state=text("state"), group=text("group"), sort=text("sort"), q=text("q"),
                     overdue_only=get.get("overdue") == "1", mine=get.get("mine") == "1",
                     category=text("category"), commune=text("commune"), unit=text("unit"),
                     since=since, until=until, resolved=get.get("resolved") == "1", rated=get.get("rated") == "1")
        if params.sort and params.sort.lstrip("-") not in SORT_KEYS:
            raise UserError("bad_sort", f"Không sắp xếp được theo “{params.sort}”.",
                            f"Cannot sort by {params.sort!r}; use one of {', '.join(SORT_KEYS)}.", field="sort")
        if params.group and params.group not in GROUPS:
            raise UserError("bad_group", f"Nhóm không hợp lệ: “{params.group}”.",
                            f"Unknown group {params.group!r}; use one of {', '.join(GROUPS)}.", field="group")
        params.check_codes()
        return params

    def check_codes(self) -> None:
        """A category, commune or unit code that names nothing is a 400 naming the parameter."""
        if self.category and not Category.objects.filter(code=self.category).exists():
            raise UserError("unknown_category", f"Không có lĩnh vực mã “{self.category}”.",
                            f"No category with code {self.category!r}.", field="category")
        if self.commune:
            commune_named(self.commune)
        if self.unit and not HandlingUnit.objects.filter(code=self.unit).exists():
            raise UserError("unknown_unit", f"Không có đơn vị xử lý mã “{self.unit}”.",
                            f"No handling unit with code {self.unit!r}.", field="unit")

    def query(self, **override) -> dict:
        """The filters as URL parameters (for links that keep them)."""
        values = {"state": self.state, "group": self.group, "sort": self.sort, "q": self.q,
                  "overdue": "1" if self.overdue_only else "", "mine": "1" if self.mine else "",
                  "category": self.category, "commune": self.commune, "unit": self.unit,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else "",
                  "resolved": "1" if self.resolved else "", "rated": "1" if self.rated else ""}
        values.update(override)
        return {k: v for k, v in values.items() if v}


def commune_units():
    """The installation province's communes and wards (current structure): what ``commune`` names."""
    from django.conf import settings

    from tinhso.geo.models import Unit

    return Unit.objects.filter(structure="current", level="commune", province_code=settings.PROVINCE_CODE)


def commune_named(code: str):
    """The province's commune or ward of ``code`` (the ``commune`` filter of the queues and the public
    list); a code naming none is a 400 naming ``commune``."""
    unit = commune_units().filter(code=code).first()
    if unit is None:
        raise UserError("unknown_commune", f"Không có xã/phường mã “{code}” trong tỉnh.",
                        f"No commune or ward with code {code!r} in the province.", field="commune")
    return unit


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of ``day`` in the installation's time zone (Asia/Ho_Chi_Minh)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


@dataclass
class Queue:
    reports: QuerySet
    counts: dict  # group → count, plus "mine" (unit queues) and "total"
    # Of the "overdue" group, how many wait for the reader's action (the "waiting" group holds only
    # the reports waiting for the reader that are not overdue): the page says so beside that count.
    overdue_waiting: int = 0


def _latest_action():
    return Subquery(ReportEvent.objects.filter(report=OuterRef("pk")).order_by("-at", "-id").values("action")[:1])


def waiting_q(kind: str) -> Q:
    if kind == IOC:
        return Q(state__in=IOC_WAITING)
    return Q(state=State.ASSIGNED) | Q(state=State.IN_PROGRESS, last_action="provide_info")


def _base(actor: Actor, kind: str, params: Params, now: dt.datetime) -> QuerySet:
    if kind == IOC:
        require_operator(actor)
        qs = Report.objects.all()
    else:
        qs = visible_reports(actor)  # a unit's (a commune's) own reports only
    qs = qs.select_related("category", "handling_unit", "commune", "assigned_officer")
    if params.state == "all":
        pass
    elif params.state:
        qs = queries._state_filter(qs, params.state)
    else:
        qs = qs.filter(state__in=OPEN_STATES)
    if params.overdue_only:
        qs = qs.filter(sla.overdue_q(now))
    if params.resolved:
        qs = qs.filter(sla.resolved_q())  # the resolved reports the wall's on-time rate divides
    if params.rated:
        qs = qs.filter(rating__isnull=False)
    if params.category:
        qs = qs.filter(category__code=params.category)
    if params.commune:
        qs = qs.filter(commune__in=commune_units().filter(code=params.commune))
    if params.unit:  # within what the reader may see: a unit's queue keeps its own limit
        qs = qs.filter(handling_unit__code=params.unit)
    if params.since:
        qs = qs.filter(created_at__gte=local_midnight(params.since))
    if params.until:
        qs = qs.filter(created_at__lt=local_midnight(params.until + dt.timedelta(days=1)))
    qs = queries._text_filter(qs, params.q or None, queries.PAGE_TEXT_FIELDS)  # English commune names too
    if kind == UNIT:
        qs = qs.annotate(last_action=_latest_action())
    user_id = getattr(actor.user, "pk", None)
    return qs.annotate(
        grp=Case(When(sla.overdue_q(now), then=Value(0)), When(waiting_q(kind), then=Value(1)), default=Value(2),
                 output_field=IntegerField()),
        waits=Case(When(waiting_q(kind), then=Value(True)), default=Value(False), output_field=BooleanField()),
        mine=Case(When(Q(assigned_officer_id=user_id, is_open=True) if user_id else Q(pk__in=[]), then=Value(0)),
                  default=Value(1), output_field=IntegerField()),
        due=Case(When(state__in=sla.ACCEPT_STATES, then=F("accept_due")),
                 When(state__in=sla.HANDLE_STATES, then=F("handle_due")), default=None, output_field=DateTimeOut()),
    )


def _sort_expression(name: str, english: bool):
    key = SORT_KEYS[name]
    if english and name in ENGLISH_SORT_KEYS:
        return Coalesce(NullIf(F(ENGLISH_SORT_KEYS[name]), Value("")), F(key))
    return F(key)


def staff_queue(actor: Actor, kind: str, params: Params, *, now: dt.datetime | None = None,
                english: bool = False) -> Queue:
    """The reader's queue (``kind`` is :data:`IOC` or :data:`UNIT`), filtered, ordered, with group counts.
    ``english``: a sort by category, commune or unit follows their English names (an English page)."""
    now = now or timezone.now()
    qs = _base(actor, kind, params, now)
    counts = {g: 0 for g in GROUPS}
    overdue_waiting = 0
    for row in qs.order_by().values("grp").annotate(n=Count("pk"), waiting=Count("pk", filter=Q(waits=True))):
        counts[GROUPS[row["grp"]]] = row["n"]
        if GROUPS[row["grp"]] == "overdue":
            overdue_waiting = row["waiting"]
    counts["total"] = sum(counts[g] for g in GROUPS)
    if kind == UNIT:
        counts["mine"] = qs.filter(mine=0).order_by().count()
    if params.group:
        qs = qs.filter(grp=GROUPS.index(params.group))
    if params.mine:
        qs = qs.filter(mine=0)
    if params.sort:
        key = _sort_expression(params.sort.lstrip("-"), english)
        field = key.desc(nulls_last=True) if params.sort.startswith("-") else key.asc(nulls_last=True)
        qs = qs.order_by(field, "-created_at", "-pk")
    elif kind == UNIT:
        qs = qs.order_by("mine", "grp", F("due").asc(nulls_last=True), "-created_at", "-pk")
    else:
        qs = qs.order_by("grp", F("due").asc(nulls_last=True), "-created_at", "-pk")
    return Queue(reports=qs, counts=counts, overdue_waiting=overdue_waiting)


# ---------------------------------------------------------------------------------------------
# The same list as map points and as CSV


def map_points(reports: QuerySet, *, limit: int = MAX_MAP_POINTS) -> tuple[list[dict], bool]:
    """Positions of the listed reports (at most ``limit``; the flag says whether some were left out)."""
    rows = list(reports.values("code", "lat", "lon", "state", "grp")[:limit + 1])
    points = [{"code": r["code"], "lat": round(r["lat"], 6), "lon": round(r["lon"], 6), "state": r["state"],
               "group": GROUPS[r["grp"]]} for r in rows[:limit]]
    return points, len(rows) > limit


CSV_HEADER = ("code", "created_at", "state", "group", "category", "severity", "commune", "handling_unit",
              "officer", "deadline", "overdue", "description")


def csv_rows(reports: QuerySet):
    """Header then one row per report of :func:`staff_queue`'s list: no reporter identity (name, phone,
    e-mail) ever (Decree 13/2023, :mod:`tinhso.reports.privacy`), text cells made safe for spreadsheets
    (:mod:`tinhso.core.cellsafe`); "overdue" is the list's own test (its group), as of when it was made."""
    yield list(CSV_HEADER)
    for r in reports.iterator(chunk_size=500):
        due = r.due
        yield csv_row([
            r.code, timezone.localtime(r.created_at).isoformat(timespec="minutes"), r.state, GROUPS[r.grp],
            r.category.name_vi, r.severity, r.commune.name if r.commune_id else "",
            r.handling_unit.name if r.handling_unit_id else "",
            r.assigned_officer.get_username() if r.assigned_officer_id else "",
            timezone.localtime(due).isoformat(timespec="minutes") if due else "",
            "1" if GROUPS[r.grp] == "overdue" else "0",  # the same test as the group (sla.overdue_q)
            r.description,
        ])


# ---------------------------------------------------------------------------------------------
# Bulk actions


BULK_ACTIONS = ("verify", "forward", "verify_forward", "assign", "accept")


def bulk(actor: Actor, action: str, codes, *, unit: str = "", officer: str = "", note: str = "",
         now: dt.datetime | None = None) -> list[dict]:
    """Apply ``action`` to each report of ``codes``, one at a time, through the single-action services.

    Each item is its own transaction: one refused item (a colleague moved it meanwhile, another
    unit's report, a wrong state) does not undo or block the others, and every item gets a line
    ``{"code", "ok", "message_vi", "message_en", "error"}`` saying what happened. The whole batch
    is refused up front only when the request itself is wrong (unknown action, no selection, too
    many, a missing unit/officer).
    """
    require_acting(actor)
    if action not in BULK_ACTIONS:
        raise UserError("unknown_action", f"Thao tác hàng loạt không hợp lệ: {action}.",
                        f"Unknown bulk action: {action}.", field="action")
    wanted = list(dict.fromkeys(c.strip().upper() for c in codes if c and c.strip()))
    if not wanted:
        raise UserError("nothing_selected", "Chưa chọn phản ánh nào.", "No report selected.", field="codes")
    if len(wanted) > MAX_BULK:
        raise UserError("too_many", f"Chọn tối đa {MAX_BULK} phản ánh mỗi lần (đã chọn {len(wanted)}).",
                        f"At most {MAX_BULK} reports at a time ({len(wanted)} selected).", field="codes")
    if action == "forward" and not unit:
        raise UserError("unit_required", "Chọn đơn vị nhận phản ánh.", "Choose the unit to send the reports to.",
                        field="unit")
    if action == "assign" and not officer:
        raise UserError("officer_required", "Chọn cán bộ xử lý.", "Choose the officer.", field="officer")
    if unit:
        triage._unit(unit)  # an unknown unit refuses the whole batch before anything changes
    results = []
    for code in wanted:
        try:
            report = get_report_for(actor, code)
            _one(actor, action, report, unit=unit, officer=officer, note=note, now=now)
        except UserError as err:
            results.append({"code": code, "ok": False, "error": err.code, "message_vi": err.message_vi,
                            "message_en": err.message_en})
        else:
            results.append({"code": code, "ok": True, "error": "", "message_vi": "Đã thực hiện.",
                            "message_en": "Done.", "state": report.state})
    return results


def _one(actor: Actor, action: str, report: Report, *, unit: str, officer: str, note: str, now) -> None:
    if action == "verify":
        triage.verify(report, actor, note=note, forward_now=False, now=now)
    elif action == "verify_forward":
        triage.verify(report, actor, note=note, forward_now=True, unit_code=unit or None, now=now)
    elif action == "forward":
        workflow.check(report, "forward", actor)
        triage.forward(report, actor, unit_code=unit, note=note, now=now)
    elif action == "assign":
        assignment.assign_officer(report, actor, officer=officer, note=note, now=now)
    elif action == "accept":
        workflow.transition(report, "accept", actor, note=note, now=now)
