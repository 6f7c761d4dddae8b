"""The Open311 request reader as it was before issue 15 (main at be27a38^), kept frozen as the
reference of ``test_open311_output_unchanged``: ``expected_datetime`` computed per row with the
deadline rules, timestamps converted to ``datetime`` and formatted in Python, JSON by the standard
library. Only the reading half of the old ``tinhso/reports/open311/resources.py``; not product code.
"""
# ruff: noqa

from __future__ import annotations

import json
import time
from collections import namedtuple
from types import SimpleNamespace

from django.db import connection

from tinhso.core.i18n import BilingualLabels
from tinhso.reports import privacy, sla, workflow
from tinhso.reports.models import Photo, Report, ReportEvent, State
from tinhso.reports.open311.serializers import _json_default, timestamp

CLOSED_STATES = frozenset({State.RESOLVED, State.CLOSED, State.REJECTED, State.MERGED})
POLICY_TTL_SECONDS = 30.0
_policy_cache: tuple[float, sla.Policy] | None = None


def policy() -> sla.Policy:
    """The deadline rules and calendar, reloaded at most every 30 s per process.

    Every response shows ``expected_datetime``; loading the rules and building the calendar
    for each call cost two queries and most of a list's time. An admin edit to the deadline
    rules therefore shows in Open311 answers within 30 s (the stored due times never lag:
    the domain computes them with fresh rules).
    """
    global _policy_cache
    now = time.monotonic()
    if _policy_cache is None or now - _policy_cache[0] > POLICY_TTL_SECONDS:
        _policy_cache = (now, sla.Policy.load())
    return _policy_cache[1]


def _lang_en(lang: str | None) -> bool:
    return bool(lang) and lang.lower().startswith("en")

# ---------------------------------------------------------------------------------------------
# Reading requests


# Reports are read as plain rows (``values()``), not model instances: a page of 1,000 requests
# with their notes is mostly object construction otherwise. The domain's rules
# (privacy.description_public / photo_visible, sla.expected_datetime) read attributes, so they
# receive the rows as named tuples.
ROW_FIELDS = (
    "id", "code", "state", "status_note", "description", "address", "lat", "lon", "created_at", "updated_at",
    "verified_at", "accepted_at", "accept_due", "handle_due", "category_id", "severity", "public",
    "province_code", "channel", "synthetic", "parent_id", "category__code", "category__name_vi",
    "category__name_en", "handling_unit__code", "handling_unit__name", "handling_unit__name_en", "commune__code",
    "commune__name", "parent__code",
)
Row = namedtuple("Row", ROW_FIELDS)  # attribute access for the domain's rules, cheap to build
# Labels were "vi / en" strings then; they are translatable now (the same two texts).
STATE_LABELS = BilingualLabels(State)


def _note(at, action: str, from_state: str, to_state: str, note: str) -> dict:
    transition = workflow.BY_ACTION.get(action)
    if action == "submit":
        kind, vi, en = "opened", "Tiếp nhận phản ánh", "Report received"
    else:
        closed = to_state in CLOSED_STATES and from_state not in CLOSED_STATES
        kind = "closed" if closed else "activity"
        vi = transition.label_vi if transition else action
        en = transition.label_en if transition else action
    return {"datetime": timestamp(at), "type": kind, "summary": f"{vi} / {en}", "description": note,
            "state": to_state}


def request_dict(row: Row, notes: list[dict], photos: list[tuple[str, str]], *,
                 policy: sla.Policy, site_url: str, lang: str | None = None) -> dict:
    """One GeoReport ``request`` (with the ``notes`` and ``extended_attributes`` extensions)."""
    en = _lang_en(lang)
    label_vi, label_en = STATE_LABELS[row.state]
    if not privacy.description_public(row):
        return _minimal_request(row, notes, policy=policy, en=en)
    media = next((site_url + privacy.PHOTO_URL.format(token=token) for token, kind in photos
                  if privacy.photo_visible(SimpleNamespace(kind=kind, report=row))), None)
    unit_name = row.handling_unit__name
    return {
        "service_request_id": row.code,
        "status": workflow.open311_status(row.state),
        "status_notes": row.status_note or None,
        "service_name": (row.category__name_en or row.category__name_vi) if en else row.category__name_vi,
        "service_code": row.category__code,
        "description": row.description,
        "agency_responsible": ((row.handling_unit__name_en or unit_name) if en else unit_name) if unit_name else None,
        "service_notice": label_en if en else label_vi,
        "requested_datetime": timestamp(row.created_at),
        "updated_datetime": timestamp(row.updated_at),
        "expected_datetime": timestamp(sla.expected_datetime(row, policy)),
        "address": row.address or None,
        "lat": row.lat,
        "long": row.lon,
        "media_url": media,
        "notes": notes,
        "extended_attributes": {
            "commune_code": row.commune__code,
            "commune_name": row.commune__name,
            "province_code": row.province_code,
            "handling_unit": row.handling_unit__code,
            "handling_unit_name": unit_name,
            "channel": row.channel,
            "state": row.state,
            "state_label": label_vi,
            "state_label_en": label_en,
            "severity": row.severity,
            "parent_service_request_id": row.parent__code,
            "synthetic": row.synthetic,
        },
    }


def _minimal_request(row: Row, notes: list[dict], *, policy: sla.Policy, en: bool) -> dict:
    """A report that is not public: id, status, state and dates; every other field null."""
    label_vi, label_en = STATE_LABELS[row.state]
    return {
        "service_request_id": row.code,
        "status": workflow.open311_status(row.state),
        "status_notes": None,
        "service_name": None,
        "service_code": None,
        "description": None,
        "agency_responsible": None,
        "service_notice": label_en if en else label_vi,
        "requested_datetime": timestamp(row.created_at),
        "updated_datetime": timestamp(row.updated_at),
        "expected_datetime": timestamp(sla.expected_datetime(row, policy)),
        "address": None,
        "lat": None,
        "long": None,
        "media_url": None,
        "notes": [{**note, "description": ""} for note in notes],
        "extended_attributes": {
            "commune_code": None, "commune_name": None, "province_code": None, "handling_unit": None,
            "handling_unit_name": None, "channel": None, "state": row.state, "state_label": label_vi,
            "state_label_en": label_en, "severity": None, "parent_service_request_id": None,
            "synthetic": row.synthetic,
        },
    }


def _fast_postgresql() -> bool:
    return connection.vendor == "postgresql" and connection.timezone_name == "UTC"


def _fetch(queryset, fields) -> list[tuple]:
    """``queryset.values_list(*fields)`` as a list of tuples.

    On PostgreSQL the timestamps are read with psycopg's own (C) loader: Django's loader is a
    Python subclass of it that only sets the same UTC tzinfo, at ~3 µs a value, and a page of
    1,000 requests carries ~9,000 timestamps (about a third of the page's time). The values are
    the same aware UTC datetimes (Django sets the session time zone to UTC).
    """
    values = queryset.values_list(*fields)
    if not _fast_postgresql():
        return list(values)
    return _fetch_sql(*values.query.sql_with_params())


def _fetch_sql(sql: str, params) -> list[tuple]:
    from psycopg.types.datetime import TimestamptzLoader

    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _of_reports(model, fields: tuple[str, ...], report_ids: list[int], order: tuple[str, ...], **equal) -> list[tuple]:
    """Rows of ``model`` (events, photos) belonging to the page's reports, in ``order``.

    On PostgreSQL the ids go as one array parameter (``= ANY(%s)``): Django composes ``IN`` with
    a placeholder and a conversion per id, a few milliseconds for a page of 1,000.
    """
    if not _fast_postgresql():
        return list(model.objects.filter(report_id__in=report_ids, **equal).order_by(*order).values_list(*fields))
    quote = connection.ops.quote_name
    column = {f.attname: quote(f.column) for f in model._meta.concrete_fields}
    column["id"] = quote(model._meta.pk.column)
    where = " AND ".join([f"{column['report_id']} = ANY(%s)", *(f"{column[name]} = %s" for name in equal)])
    sql = (f"SELECT {', '.join(column[f] for f in fields)} FROM {quote(model._meta.db_table)} WHERE {where} "
           f"ORDER BY {', '.join(column[f] for f in order)}")
    return _fetch_sql(sql, [list(report_ids), *equal.values()])


def _requests(queryset, *, site_url: str, lang: str | None) -> list[dict]:
    """GeoReport requests for the rows of ``queryset`` (already filtered, ordered and sliced)."""
    rows = [Row._make(values) for values in _fetch(queryset, ROW_FIELDS)]
    notes: dict[int, list[dict]] = {row.id: [] for row in rows}
    photos: dict[int, list[tuple[str, str]]] = {row.id: [] for row in rows}
    if rows:
        ids = list(notes)
        events = _of_reports(ReportEvent, ("report_id", "at", "action", "from_state", "to_state", "note"), ids,
                             ("at", "id"), public=True)
        for report_id, *event in events:
            notes[report_id].append(_note(*event))
        for report_id, token, kind in _of_reports(Photo, ("report_id", "token", "kind"), ids, ("id",)):
            photos[report_id].append((token, kind))
    rules = policy()
    return [request_dict(row, notes[row.id], photos[row.id], policy=rules, site_url=site_url, lang=lang)
            for row in rows]



def get_request(code: str, *, site_url: str, lang: str | None = None) -> list[dict]:
    return _requests(Report.objects.filter(code=code.strip().upper()), site_url=site_url, lang=lang)


def requests_of(queryset, *, site_url: str, lang: str | None = None) -> list[dict]:
    return _requests(queryset, site_url=site_url, lang=lang)


def to_json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=_json_default, separators=(",", ":")).encode("utf-8")
