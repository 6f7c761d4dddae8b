"""The GeoReport v2 resources, built from the reports domain (no HTTP here).

- :func:`discovery`, :func:`service_list`, :func:`service_definition`: from :class:`Category`;
- :func:`create_request`: Open311 arguments → :func:`tinhso.reports.intake.submit_report`;
- :func:`query_requests`, :func:`get_request`, :func:`token`: the public face of reports.

Privacy: a request never carries the reporter's name, phone, e-mail, the client application or
internal notes. A report that is not public (:func:`tinhso.reports.privacy.description_public`:
unverified, rejected, or its sender refused publication) shows only its id, status, state and
dates; every other field is null and its notes carry no text. ``notes`` are the public history
events only. Lists show the reports the public may list (:func:`tinhso.reports.queries.public_q`);
a single request (by id) is any report, with the same field-level privacy, so a client can
follow what it submitted. The nearby reports named in ``service_notice`` are public ones only.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.core.i18n import BilingualLabels
from tinhso.core.text import nfc
from tinhso.reports import intake, privacy, workflow
from tinhso.reports.media import MAX_PHOTO_BYTES
from tinhso.reports.models import Category, Channel, Photo, Report, ReportEvent, State
from tinhso.reports.open311 import params as p
from tinhso.reports.open311.serializers import LocalTimestamp, timestamp

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-22T00:00:00+07:00"  # date of the last change to this endpoint's contract
IDEMPOTENCY_ATTRIBUTE = "idempotency_key"
CLOSED_STATES = frozenset({State.RESOLVED, State.CLOSED, State.REJECTED, State.MERGED})

# Domain field → Open311 parameter, so an error names what the client sent.
PARAMETER_NAMES = {"category": "service_code", "lat": "lat", "lon": "long", "description": "description",
                   "reporter_email": "email", "reporter_phone": "phone", "reporter_name": "first_name",
                   "photos": "media_url", "address": "address_string"}


def _lang_en(lang: str | None) -> bool:
    return bool(lang) and lang.lower().startswith("en")


# ---------------------------------------------------------------------------------------------
# Discovery and services


def discovery(base_url: str) -> dict:
    from tinhso.geo.registry import installation_province

    province = installation_province()
    name = province.name if province else f"tỉnh mã {settings.PROVINCE_CODE}"
    contact = getattr(settings, "OPEN311_CONTACT", "") or \
        f"Trung tâm Giám sát, điều hành đô thị thông minh (IOC) — {name} / Intelligent Operations Center of {name}"
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": "Khóa API do quản trị viên IOC cấp (lệnh `tinhso reports create-api-key TÊN`) / "
                       "API keys are issued by the IOC administrators (`tinhso reports create-api-key NAME`).",
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": base_url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


def _service(category: Category, en: bool) -> dict:
    return {
        "service_code": category.code,
        "service_name": (category.name_en or category.name_vi) if en else category.name_vi,
        "description": (category.description_en or category.description_vi) if en else category.description_vi,
        "metadata": False,  # no extra attributes are required (idempotency_key is an optional extension)
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


def service_list(lang: str | None = None) -> list[dict]:
    en = _lang_en(lang)
    return [_service(c, en) for c in Category.objects.filter(active=True)]


def unknown_service(code: str) -> UserError:
    return UserError("unknown_service_code", f"Không có lĩnh vực (service_code) “{code}”; xem services.json.",
                     f"Unknown service_code {code!r}; see services.json.", field="service_code", status=404)


def service_definition(code: str) -> dict:
    if not Category.objects.filter(code=code, active=True).exists():
        raise unknown_service(code)
    return {"service_code": code, "attributes": []}


# ---------------------------------------------------------------------------------------------
# Creating a request


@dataclass
class Created:
    body: dict
    created: bool  # False: an idempotent retry returned the first report
    report: Report


MEDIA_FETCH_SECONDS = 10.0  # the whole download, redirects included
MEDIA_TYPES = ("image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/webp")
_MEDIA_UNREACHABLE = UserError(
    "media_unreachable",
    "Không tải được ảnh từ media_url (địa chỉ không được phép, không truy cập được, quá chậm hoặc trả lỗi).",
    "Could not download media_url (address not allowed, unreachable, too slow or an error answer).",
    field="media_url")


def _image_magic(data: bytes) -> bool:
    return data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def fetch_media(url: str, **options) -> bytes:
    """Download ``media_url`` through :mod:`tinhso.core.safe_fetch` (public addresses only, every
    redirect hop checked, ≤ 10 MB, one 10 s deadline, an image type and signature).

    The error never says why a download failed beyond what the client can know anyway (a size or
    type from a public server): whether an internal address answers is not revealed. ``options``
    go to :func:`safe_fetch.fetch` (tests pass an address policy).
    """
    from tinhso.core import safe_fetch

    if not url.strip().lower().startswith(("http://", "https://")):
        raise UserError("bad_media_url", "media_url phải là địa chỉ http(s).",
                        "media_url must be an http(s) URL.", field="media_url")
    try:
        fetched = safe_fetch.fetch(url, max_bytes=MAX_PHOTO_BYTES, deadline=options.pop("deadline", MEDIA_FETCH_SECONDS),
                                   content_types=MEDIA_TYPES, user_agent="tinhso-open311", **options)
    except safe_fetch.FetchError as err:
        if err.reason == safe_fetch.BAD_URL:
            raise UserError("bad_media_url", "media_url không phải địa chỉ http(s) hợp lệ.",
                            "media_url is not a valid http(s) URL.", field="media_url") from None
        if err.reason == safe_fetch.TOO_LARGE:
            raise UserError("photo_too_large", "Ảnh tại media_url lớn hơn 10 MB.",
                            "The photo at media_url is larger than 10 MB.", field="media_url") from None
        if err.reason == safe_fetch.BAD_TYPE:
            raise _not_an_image() from None
        raise _MEDIA_UNREACHABLE from None
    if not _image_magic(fetched.body):
        raise _not_an_image()
    return fetched.body


def _not_an_image() -> UserError:
    return UserError("photo_type", "media_url không trỏ tới ảnh JPEG, PNG hoặc WebP.",
                     "media_url does not point to a JPEG, PNG or WebP image.", field="media_url")


def _location(args: p.Arguments) -> tuple[str, str, str]:
    """(lat, long, notice): the coordinates sent, or the commune named in ``address_string``."""
    lat, lon = args.get("lat"), args.get("long")
    if lat or lon:
        if not lat:
            raise p.missing("lat", "phải gửi cả lat và long", "lat and long must both be sent")
        if not lon:
            raise p.missing("long", "phải gửi cả lat và long", "lat and long must both be sent")
        return lat, lon, ""
    address = args.get("address_string")
    if address:
        from tinhso.reports.open311.address import find_commune

        place = find_commune(address)
        return str(place.lat), str(place.lon), (
            f"Vị trí lấy theo địa chỉ: trung tâm {place.name}. / "
            f"Position taken from the address: the centre of {place.name}.")
    if args.get("address_id"):
        raise p.bad("address_id", "Hệ thống chưa có kho địa chỉ (address_id); hãy gửi lat/long hoặc address_string.",
                    "address_id is not supported (no address repository); send lat/long or address_string.",
                    code="address_id_unsupported")
    raise p.missing("lat", "cần lat và long, hoặc address_string", "lat and long, or address_string, are required")


def _rename_field(error: UserError, code: str) -> UserError:
    """The domain's error, naming the Open311 parameter (unknown category → 404, as the spec says)."""
    if error.code == "unknown_category":
        return unknown_service(code)
    if error.code == "outside_province":
        error.field = "lat/long"
    elif error.field in PARAMETER_NAMES:
        error.field = PARAMETER_NAMES[error.field]
    return error


def create_request(args: p.Arguments, client, *, idempotency_key: str = "", uploads=(),
                   now: dt.datetime | None = None) -> Created:
    """``POST requests``: validate the Open311 arguments and submit through the domain."""
    code = args.get("service_code")
    if not code:
        raise p.missing("service_code", "xem services.json", "see services.json")
    key = idempotency_key.strip() or str(args.attributes.get(IDEMPOTENCY_ATTRIBUTE) or "").strip()
    if len(key) > 100:
        raise p.bad("Idempotency-Key", "Khóa chống gửi trùng tối đa 100 ký tự.",
                    "The idempotency key is at most 100 characters.")
    lat, lon, place_notice = _location(args)
    photos = list(uploads)
    if args.get("media_url"):
        photos.append(fetch_media(args.get("media_url")))
    name = nfc(" ".join(part for part in (args.get("first_name"), args.get("last_name")) if part))
    try:
        submission = intake.submit_report(
            category=code, description=args.get("description"), lat=lat, lon=lon, photos=photos,
            reporter_name=name, reporter_phone=args.get("phone"), reporter_email=args.get("email"),
            address=args.get("address_string"), channel=Channel.OPEN311, api_client=client,
            idempotency_key=key, now=now,
        )
    except UserError as error:
        raise _rename_field(error, code) from None
    report = submission.report
    ignored = sorted(set(args.attributes) - {IDEMPOTENCY_ATTRIBUTE})
    body = {
        "service_request_id": report.code,
        "service_notice": _notice(report, submission.duplicates, place_notice, ignored),
        "account_id": args.get("account_id") or None,
        # Extension: the submitter's secret, only in this answer (rate / answer through the native API).
        "citizen_token": submission.citizen_secret,
    }
    return Created(body, submission.created, report)


def _notice(report: Report, duplicates: list[Report], place_notice: str, ignored: list[str]) -> str:
    expected = report.expected_at  # kept by tinhso.reports.sla on every deadline change
    when = expected.astimezone(timezone.get_default_timezone()).strftime("%d/%m/%Y %H:%M") if expected else "—"
    parts = [(f"Đã tiếp nhận phản ánh {report.code}; hạn xử lý dự kiến {when}. / "
              f"Report {report.code} received; expected to be handled by {when} (Asia/Ho_Chi_Minh).")]
    if place_notice:
        parts.append(place_notice)
    if duplicates:  # public ones only (intake.Submission.duplicates)
        codes = ", ".join(d.code for d in duplicates)
        parts.append(f"Có phản ánh tương tự gần đó: {codes}. / Similar reports nearby: {codes}.")
    if ignored:
        names = ", ".join(f"attribute[{a}]" for a in ignored)
        parts.append(f"Không dùng các thuộc tính: {names}. / Attributes not used: {names}.")
    return " ".join(parts)


# ---------------------------------------------------------------------------------------------
# Reading requests


# Reports are read as plain rows (``values()``), not model instances: a page of 1,000 requests
# with their notes is mostly object construction otherwise. The domain's rules
# (privacy.description_public / photo_visible) read attributes, so they receive the rows as named
# tuples. ``expected_datetime`` is stored (``expected_at``, kept by tinhso.reports.sla), and the
# timestamps come from the database already formatted (serializers.LocalTimestamp): no datetime
# object is built for a page.
ROW_FIELDS = (
    "id", "code", "state", "status_note", "description", "address", "lat", "lon", "created_at", "updated_at",
    "verified_at", "accepted_at", "expected_at", "category_id", "severity", "public",
    "province_code", "channel", "synthetic", "parent_id", "category__code", "category__name_vi",
    "category__name_en", "handling_unit__code", "handling_unit__name", "handling_unit__name_en", "commune__code",
    "commune__name", "parent__code",
)
TIMESTAMP_FIELDS = frozenset({"created_at", "updated_at", "verified_at", "accepted_at", "expected_at"})
Row = namedtuple("Row", ROW_FIELDS)  # attribute access for the domain's rules, cheap to build
ROW_COLUMNS = tuple(LocalTimestamp(f) if f in TIMESTAMP_FIELDS else f for f in ROW_FIELDS)
STATE_LABELS = BilingualLabels(State)  # {state: (Vietnamese, English)}


def _note_kind(action: str, from_state: str, to_state: str) -> tuple[str, str]:
    """A note's ``type`` and ``summary`` for one transition (few distinct ones: cached, below)."""
    transition = workflow.BY_ACTION.get(action)
    if action == "submit":
        kind, vi, en = "opened", "Tiếp nhận phản ánh", "Report received"
    else:
        closed = to_state in CLOSED_STATES and from_state not in CLOSED_STATES
        kind = "closed" if closed else "activity"
        vi = transition.label_vi if transition else action
        en = transition.label_en if transition else action
    return kind, f"{vi} / {en}"


_NOTE_KINDS: dict[tuple[str, str, str], tuple[str, str]] = {}  # a page has ~2,000 notes, ~a dozen kinds


def _note(at, action: str, from_state: str, to_state: str, note: str) -> dict:
    key = (action, from_state, to_state)
    found = _NOTE_KINDS.get(key)
    if found is None:
        found = _NOTE_KINDS[key] = _note_kind(action, from_state, to_state)
        if len(_NOTE_KINDS) > 1000:  # bounded: actions and states are a closed set, but stay safe
            _NOTE_KINDS.clear()
    return {"datetime": at if isinstance(at, str) else timestamp(at), "type": found[0], "summary": found[1],
            "description": note, "state": to_state}


def request_dict(row: Row, notes: list[dict], photos: list[tuple[str, str]], *,
                 site_url: str, lang: str | None = None) -> dict:
    """One GeoReport ``request`` (with the ``notes`` and ``extended_attributes`` extensions)."""
    en = _lang_en(lang)
    label_vi, label_en = STATE_LABELS[row.state]
    if not privacy.description_public(row):
        return _minimal_request(row, notes, en=en)
    media = None
    for token, kind in photos:  # most reports have none
        if privacy.photo_visible(SimpleNamespace(kind=kind, report=row)):
            media = site_url + privacy.PHOTO_URL.format(token=token)
            break
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
        "expected_datetime": timestamp(row.expected_at),
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


def _minimal_request(row: Row, notes: list[dict], *, en: bool) -> dict:
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
        "expected_datetime": timestamp(row.expected_at),
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


BOOLEAN_FIELDS = frozenset({"public", "synthetic"})  # SQLite returns 0/1 for these


def _fetch(queryset, fields) -> list[tuple]:
    """``queryset.values_list(*fields)`` as a list of tuples, without Django's per-value converters.

    On PostgreSQL the timestamps are read with psycopg's own (C) loader: Django's loader is a
    Python subclass of it that only sets the same UTC tzinfo, at ~3 µs a value, and a page of
    1,000 requests carries ~9,000 timestamps (about a third of the page's time). The values are
    the same aware UTC datetimes (Django sets the session time zone to UTC). On SQLite the rows
    come straight from the cursor too (the page's timestamps are already text,
    :class:`LocalTimestamp`); only the booleans (stored 0/1) are converted, here.
    """
    values = queryset.values_list(*fields)
    if _fast_postgresql():
        return _fetch_sql(*values.query.sql_with_params())
    if connection.vendor != "sqlite":
        return list(values)
    names = [f if isinstance(f, str) else f.source_expressions[0].name for f in fields]
    flags = [i for i, name in enumerate(names) if name in BOOLEAN_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(*values.query.sql_with_params())
        rows = cursor.fetchall()
    if flags:
        rows = [list(row) for row in rows]
        for row in rows:
            for i in flags:
                if row[i] is not None:
                    row[i] = bool(row[i])
    return rows


def _fetch_sql(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            from psycopg.types.datetime import TimestamptzLoader

            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _of_reports(model, fields: tuple[str, ...], report_ids: list[int], order: tuple[str, ...], *,
                formatted: frozenset[str] = frozenset(), **equal) -> list[tuple]:
    """Rows of ``model`` (events, photos) belonging to the page's reports, in ``order``; the
    ``formatted`` timestamp fields as text (:class:`LocalTimestamp`).

    The ids (the page's own integers) go into the SQL text as one array literal (PostgreSQL,
    ``= ANY('{…}'::bigint[])``) or an ``IN`` list (SQLite): Django composes ``IN`` with a
    placeholder and a conversion per id, and psycopg's client-side binding of an array parameter
    cost ~4 ms a page of 1,000.
    """
    fast_postgresql = _fast_postgresql()
    if not fast_postgresql and connection.vendor != "sqlite":
        columns = [LocalTimestamp(f) if f in formatted else f for f in fields]
        return list(model.objects.filter(report_id__in=report_ids, **equal).order_by(*order).values_list(*columns))
    quote = connection.ops.quote_name
    column = {f.attname: quote(f.column) for f in model._meta.concrete_fields}
    column["id"] = quote(model._meta.pk.column)
    selected = [LocalTimestamp.column_sql(connection.vendor, column[f]) if f in formatted else column[f]
                for f in fields]
    ids = ",".join(str(int(i)) for i in report_ids)  # integers: nothing to quote
    ids_sql = f"{column['report_id']} = ANY('{{{ids}}}'::bigint[])" if fast_postgresql else \
        f"{column['report_id']} IN ({ids})"
    where = " AND ".join([ids_sql, *(f"{column[name]} = %s" for name in equal)])
    sql = (f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} WHERE {where} "
           f"ORDER BY {', '.join(column[f] for f in order)}")
    return _fetch_sql(sql, list(equal.values()))


def _requests(queryset, *, site_url: str, lang: str | None) -> list[dict]:
    """GeoReport requests for the rows of ``queryset`` (already filtered, ordered and sliced)."""
    rows = [Row._make(values) for values in _fetch(queryset, ROW_COLUMNS)]
    notes: dict[int, list[dict]] = {row.id: [] for row in rows}
    photos: dict[int, list[tuple[str, str]]] = {row.id: [] for row in rows}
    if rows:
        ids = list(notes)
        events = _of_reports(ReportEvent, ("report_id", "at", "action", "from_state", "to_state", "note"), ids,
                             ("at", "id"), formatted=frozenset({"at"}), public=True)
        for report_id, *event in events:
            notes[report_id].append(_note(*event))
        for report_id, token, kind in _of_reports(Photo, ("report_id", "token", "kind"), ids, ("id",)):
            photos[report_id].append((token, kind))
    return [request_dict(row, notes[row.id], photos[row.id], site_url=site_url, lang=lang) for row in rows]


def not_found(code: str) -> UserError:
    return UserError("unknown_service_request_id", f"Không có phản ánh mã “{code}”.",
                     f"No service request {code!r}.", field="service_request_id", status=404)


def get_request(code: str, *, site_url: str, lang: str | None = None) -> list[dict]:
    found = _requests(Report.objects.filter(code=code.strip().upper()), site_url=site_url, lang=lang)
    if not found:
        raise not_found(code)
    return found


@dataclass
class Page:
    requests: list[dict]
    has_more: bool
    query: p.RequestQuery


def query_requests(args: p.Arguments, *, site_url: str, lang: str | None = None,
                   now: dt.datetime | None = None) -> Page:
    """``GET requests``: newest first, at most ``page_size`` (≤ 1,000) per page."""
    query = p.request_query(args, now or timezone.now())
    offset = (query.page - 1) * query.page_size
    found = _requests(list_queryset(query)[offset:offset + query.page_size + 1], site_url=site_url, lang=lang)
    return Page(found[:query.page_size], len(found) > query.page_size, query)


def list_queryset(query: p.RequestQuery):
    """The reports ``GET requests`` lists for ``query``, newest first (not yet paginated)."""
    from tinhso.reports.queries import open_q, public_q, text_filter

    qs = Report.objects.all()
    if query.ids:
        qs = qs.filter(code__in=query.ids)
    else:
        qs = qs.filter(public_q())
        if query.service_codes:
            known = dict(Category.objects.filter(code__in=query.service_codes).values_list("code", "pk"))
            unknown = [c for c in query.service_codes if c not in known]
            if unknown:
                raise unknown_service(", ".join(unknown))
            qs = qs.filter(category_id__in=list(known.values()))  # ids: no join, the (category, created_at) index
        if query.start:
            qs = qs.filter(created_at__gte=query.start)
        if query.end:
            qs = qs.filter(created_at__lt=query.end)
        if len(query.statuses) == 1:
            qs = qs.filter(open_q(query.statuses[0] == "open"))
        if query.q:
            qs = text_filter(qs, query.q)
    return qs.order_by("-created_at", "-id")


def list_key(args: p.Arguments, now: dt.datetime) -> tuple:
    """``GET requests``' arguments, validated and normalised: equal for queries with the same answer
    (the cache key of :mod:`tinhso.reports.public_cache`). A default window ("the last 90 days")
    is named, not dated, so the key does not change every second."""
    query = p.request_query(args, now)

    def utc(moment: dt.datetime | None, given: bool) -> str | None:
        return moment.astimezone(dt.UTC).isoformat() if moment is not None and given else None

    return (query.ids, sorted(query.service_codes),
            utc(query.start, bool(args.get("start_date") or args.get("end_date"))),
            utc(query.end, bool(args.get("end_date"))), sorted(set(query.statuses)), query.page, query.page_size,
            query.q)


def token(value: str) -> list[dict]:
    """Requests here are ``realtime`` (the id comes back at once), so a token is the id itself."""
    code = value.strip().upper()
    if not Report.objects.filter(code=code).exists():
        raise UserError("unknown_token", f"Không có token “{value}”.", f"Unknown token {value!r}.",
                        field="token", status=404)
    return [{"service_request_id": code, "token": value}]
