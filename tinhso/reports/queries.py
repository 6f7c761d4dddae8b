"""Lists of reports: the IOC queue (overdue first), a unit's inbox, the public list.

All return querysets so the API and the pages paginate them; the overdue-first order is an
annotation computed in the database with :func:`tinhso.reports.sla.overdue_q`.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.conf import settings
from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.db.models.lookups import In
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.search import SearchKey, word_conditions
from tinhso.reports import sla
from tinhso.reports.models import OPEN_STATES, Report, State
from tinhso.reports.permissions import Actor, require_operator, visible_reports

PUBLIC_HIDDEN_STATES = (State.REJECTED, State.MERGED)


def _ordered(qs: QuerySet, now: dt.datetime) -> QuerySet:
    return qs.annotate(
        overdue=Case(When(sla.overdue_q(now), then=Value(True)), default=Value(False), output_field=BooleanField()),
    ).order_by(F("overdue").desc(), F("accept_due").asc(nulls_last=True), "-created_at")


def _state_filter(qs: QuerySet, state: str | None) -> QuerySet:
    if not state:
        return qs
    states = [s.strip() for s in state.split(",") if s.strip()]
    bad = [s for s in states if s not in State.values]
    if bad:
        raise UserError("bad_state", f"Trạng thái không hợp lệ: {', '.join(bad)}.", f"Unknown state(s): {bad}.",
                        field="state")
    return qs.filter(state__in=states)


_TEXT_FIELDS = ("search_text", "category__name_vi", "category__name_en", "commune__name_ascii")
# The pages (staff queues, the public list and its map) show communes in the reader's language, so
# their search also matches the commune's English name ("phan thiet ward"): one more name of the
# small commune table, like the category's names. Open311's ``q`` keeps its fields.
PAGE_TEXT_FIELDS = (*_TEXT_FIELDS, "commune__name_en")


def _keyed_rows(relation: str) -> Q:
    """The rows of a related table a report can point to, the only ones whose names are keyed: a
    report's commune is a current commune of the province (intake refuses points outside it), some
    hundred rows of the registry's 14,000 units; keying them all cost seconds on PostgreSQL, whose
    ``translate()`` is slow with a long table of letters."""
    if relation == "commune":
        return Q(structure="current", level="commune", province_code=settings.PROVINCE_CODE)
    return Q()


def text_q(q: str | None, fields: tuple[str, ...] = _TEXT_FIELDS) -> Q:
    """Reports where every word of ``q`` is a word (the last one: the start of a word) of one of
    ``fields`` (tinhso.core.search's word mode: case, diacritics and punctuation do not matter).

    The report's own field (``search_text``) holds its search key; the names of the category and
    the commune (small tables) are keyed in SQL (:class:`~tinhso.core.search.SearchKey`) by an
    uncorrelated ``IN (SELECT …)`` per word, computed once per query rather than per report row."""
    own = [f for f in fields if "__" not in f]
    related: dict[str, list[str]] = {}
    for field in fields:
        if "__" in field:
            relation, name = field.split("__", 1)
            related.setdefault(relation, []).append(name)
    per_word = word_conditions(own, q)
    for relation, names in related.items():
        model = Report._meta.get_field(relation).related_model
        aliases = {f"_key_{name}": SearchKey(name) for name in names}
        keyed = model._base_manager.filter(_keyed_rows(relation)).alias(**aliases)
        for i, cond in enumerate(word_conditions(list(aliases), q)):
            per_word[i] |= Q(**{f"{relation}__in": keyed.filter(cond).values("pk")})
    cond = Q()
    for word_cond in per_word:
        cond &= word_cond
    return cond


def _text_filter(qs: QuerySet, q: str | None, fields: tuple[str, ...] = _TEXT_FIELDS) -> QuerySet:
    if not q:
        return qs
    q = q.strip()
    if q.upper().startswith("PA-"):
        return qs.filter(code__startswith=q.upper())  # codes are upper case: the code_like index serves it
    # Folded on both databases (tinhso.core.search): the report's stored search key, the
    # category's names and the commune's ASCII name (and, for the pages, its English name);
    # every word must be a word of one of them.
    return qs.filter(text_q(q, fields))


def text_filter(qs: QuerySet, q: str | None) -> QuerySet:
    """The text search of Open311's ``q`` (its fields unchanged: no English commune names)."""
    return _text_filter(qs, q)


def operator_queue(actor: Actor, *, state: str | None = None, overdue_only: bool = False, q: str | None = None,
                   now: dt.datetime | None = None) -> QuerySet:
    """The IOC's queue: open reports by default, overdue first, then by accept deadline."""
    require_operator(actor)
    now = now or timezone.now()
    qs = Report.objects.select_related("category", "handling_unit", "commune")
    qs = _state_filter(qs, state) if state else qs.filter(state__in=OPEN_STATES)
    if overdue_only:
        qs = qs.filter(sla.overdue_q(now))
    return _ordered(_text_filter(qs, q, PAGE_TEXT_FIELDS), now)


def unit_inbox(actor: Actor, *, state: str | None = None, q: str | None = None,
               now: dt.datetime | None = None) -> QuerySet:
    """Reports assigned to the actor's unit(s) (all, for province-wide staff)."""
    now = now or timezone.now()
    qs = visible_reports(actor).select_related("category", "handling_unit", "commune")
    qs = _state_filter(qs, state) if state else qs.filter(state__in=OPEN_STATES)
    return _ordered(_text_filter(qs, q, PAGE_TEXT_FIELDS), now)


class _ConstantIn(In):
    """``IN`` with its values written into the SQL, for constant state names only.

    SQLite uses a partial index only when the query's WHERE clause contains the index's condition
    term for term; ``state IN (?, ?)`` with bound parameters does not match the indexes'
    ``NOT (state IN ('rejected', 'merged'))``, so the public lists searched the plain
    ``(category, created_at)`` / ``(is_open, created_at)`` indexes and read every row of the window
    to test the listing rule. The values are state names (checked here), never user input."""

    lookup_name = "in_constants"

    def process_rhs(self, compiler, connection):
        values = [str(v) for v in self.rhs]
        if not values or not all(re.fullmatch(r"[a-z_]+", v) for v in values):
            raise ValueError(f"in_constants takes state names only: {values!r}")
        return "(" + ", ".join(f"'{v}'" for v in values) + ")", []


Report._meta.get_field("state").register_lookup(_ConstantIn)

# models.PUBLIC_LISTING (the partial indexes' condition), with the state names as constants.
_PUBLIC_LISTING_SQL = (Q(public=True) & (Q(verified_at__isnull=False) | Q(accepted_at__isnull=False))
                       & ~Q(state__in_constants=PUBLIC_HIDDEN_STATES))


def public_q() -> Q:
    """Reports the public may list: published by the citizen, checked by a person, not spam
    (:data:`~tinhso.reports.models.PUBLIC_LISTING`, the condition of the public-listing partial
    indexes, written so that SQLite can match it to them: :class:`_ConstantIn`)."""
    return _PUBLIC_LISTING_SQL


def open_q(is_open: bool) -> Q:
    """Open (or closed) reports, as an equality SQLite's planner can match to an index column.

    ``filter(is_open=True)`` compiles to a bare ``"is_open"`` (``NOT "is_open"``), which SQLite
    does not treat as a constraint on that column: with a category it then searched the
    ``(category, created_at)`` index and tested ``is_open`` row by row instead of using
    ``reports_public_category`` (category, is_open, created_at). ``is_open IN (1)`` is an equality
    for SQLite; PostgreSQL plans it as ``is_open = true``, as before."""
    return Q(is_open__in=[is_open])


def public_reports(*, category: str | None = None, commune: str | None = None, status: str | None = None,
                   state: str | None = None, since: dt.datetime | None = None, until: dt.datetime | None = None,
                   q: str | None = None, bbox: str | None = None, unit: str | None = None) -> QuerySet:
    qs = Report.objects.filter(public_q()).select_related("category", "handling_unit", "commune")
    if category:
        qs = qs.filter(category__code__in=[c.strip() for c in category.split(",")])
    if commune:
        qs = qs.filter(commune__code=commune.strip())
    if unit:
        qs = qs.filter(handling_unit__code=unit.strip())
    if status:
        if status not in ("open", "closed"):
            raise UserError("bad_status", "Trạng thái phải là open hoặc closed.", "status must be open or closed.",
                            field="status")
        qs = qs.filter(open_q(status == "open"))
    qs = _state_filter(qs, state)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lte=until)
    if bbox:
        try:
            west, south, east, north = (float(x) for x in bbox.split(","))
            if not all(math.isfinite(x) for x in (west, south, east, north)):
                raise ValueError(bbox)
        except ValueError:
            raise UserError("bad_bbox", "bbox phải là tây,nam,đông,bắc.", "bbox must be west,south,east,north.",
                            field="bbox") from None
        qs = qs.filter(lon__range=(west, east), lat__range=(south, north))
    if q and q.strip():
        qs = qs.filter(Q(code__startswith=q.strip().upper()) | text_q(q, PAGE_TEXT_FIELDS))
    return qs.order_by("-created_at")
