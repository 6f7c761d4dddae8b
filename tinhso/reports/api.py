"""Native JSON API of field reports, mounted at ``/api/v1/reports/`` (OpenAPI at /api/v1/docs).

Public (no login; rate-limited per client IP, see :mod:`tinhso.reports.ratelimit`):

- ``GET  categories``                     active categories
- ``POST submit``                         multipart: category, description, lat, lon, photos[] (≤ 5),
                                          reporter_name/phone/email, public, address,
                                          idempotency_key (or header ``Idempotency-Key``),
                                          same_as (a ``nearby`` report's code: stored and joined to it) → 201
                                          (200 with ``created: false`` for a retried key from the
                                          same client: same ``X-Client-Token`` header or
                                          ``client_token`` field, or session; without either a
                                          retried key is a 409 without the report)
                                          The answer carries ``citizen_token``, the submitter's
                                          secret, once (only its hash is stored) and ``private_url``
- ``GET  nearby``                         possible duplicates before submitting (public fields only, cached)
- ``GET  place``                          commune and province of a point, or the ``outside_province``
                                          error submitting there would give
- ``GET  track/{code}``                   public status; with the submitter's secret (header
                                          ``X-Citizen-Token``) the submitter's view (own text and photos)
- ``POST track/{code}/rate``              submitter only (``citizen_token``): rating 1–5 once resolved;
                                          ≤ 2 with a comment reopens; ≤ 2 without leaves it resolved
- ``POST track/{code}/reopen``            submitter only, after a rating ≤ 2: ask to reopen (``text``)
- ``POST track/{code}/info``              submitter only (``citizen_token``): answer a request for information

The secret goes in the JSON body field ``citizen_token`` or the ``X-Citizen-Token`` header; missing
or wrong → 403 (:mod:`tinhso.reports.citizen_secret`).
- ``GET  public`` / ``GET public.geojson`` published reports, no personal data (filters, pages)
- ``GET  photos/{token}``                 a photo (metadata-free), if the caller may see it
- ``GET  stats`` / ``GET stats.csv``      per unit or per category

Staff (Django session; CSRF token required on POST): ``me``, ``queue`` (IOC, overdue first),
``inbox`` (unit), ``units``, ``staff/{code}`` (view + allowed actions) and one POST per action
under ``staff/{code}/…``. A unit asking for another unit's report gets 404.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.http import FileResponse, HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile
from ninja.security import SessionAuth

from tinhso.core.api_schemas import GEOJSON_POINTS, errors, file_answer
from tinhso.core.errors import UserError
from tinhso.core.i18n import in_language
from tinhso.core.timebounds import check_year
from tinhso.reports import (
    citizen_secret,
    duplicates,
    feedback,
    handling,
    idempotency,
    intake,
    privacy,
    public_cache,
    queries,
    ratelimit,
    stats,
    support,
    triage,
    workflow,
)
from tinhso.reports import queue as queue_service
from tinhso.reports.models import Category, HandlingUnit, Photo, Report, State
from tinhso.reports.permissions import (
    actor_for_user,
    get_report_for,
    not_found,
    require_acting,
    require_staff,
)

router = Router()
staff_auth = SessionAuth()  # csrf checked on unsafe methods
MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000


# ---------------------------------------------------------------------------------------------
# Schemas


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    description: str = ""
    group: str = ""
    auto_forward: bool = False
    default_severity: str = "normal"


class Ref(Schema):
    code: str
    name: str


class HandlingUnitRef(Ref):
    kind: str


class CategoryRef(Ref):
    name_en: str


class PhotoOut(Schema):
    token: str
    kind: str
    url: str
    mime: str
    width: int
    height: int


class EventOut(Schema):
    at: dt.datetime
    action: str
    from_state: str
    to_state: str
    note: str


class StaffEventOut(EventOut):
    actor: str
    role: str
    public: bool
    data: dict


class ParentOut(Schema):
    code: str
    state: str
    status: str
    response_text: str
    result_text: str
    photos: list[PhotoOut]


class PublicReportOut(Schema):
    # A report that is not public shows the public only its code, state and dates (privacy.minimal_view).
    code: str
    category: CategoryRef | None
    state: str
    state_label: str
    status: str
    severity: str | None
    description: str | None
    lat: float | None
    lon: float | None
    address: str
    commune: Ref | None
    handling_unit: HandlingUnitRef | None
    created_at: dt.datetime
    updated_at: dt.datetime
    expected_datetime: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    status_note: str
    response_text: str
    result_text: str
    rating: int | None
    photos: list[PhotoOut]
    synthetic: bool
    parent: ParentOut | None
    history: list[EventOut] = Field(default_factory=list)


class DeadlineOut(Schema):
    step: str | None
    due: dt.datetime | None
    near_due: bool
    overdue: bool
    paused: bool


class StaffReportOut(PublicReportOut):
    public: bool
    channel: str
    routing_rule: int | None
    verified_at: dt.datetime | None
    assigned_at: dt.datetime | None
    accept_due: dt.datetime | None
    accepted_at: dt.datetime | None
    handle_due: dt.datetime | None
    deadline: DeadlineOut
    rating_comment: str
    reopen_count: int
    history: list[StaffEventOut] = Field(default_factory=list)
    allowed_actions: list[str] = Field(default_factory=list)


class OperatorReportOut(StaffReportOut):
    reporter_name: str
    reporter_phone: str
    reporter_email: str
    api_client: str | None


class NearbyOut(Schema):
    code: str
    state: str
    status: str
    distance_m: float
    created_at: dt.datetime
    state_label: str = ""  # Vietnamese
    state_label_en: str = ""
    category: str = ""
    category_name: str = ""
    category_name_en: str = ""
    description: str = ""
    url: str = ""


class PlaceRef(Ref):
    name_en: str = ""  # the English name ("Phan Thiet Ward"): the form shows the reader's language


class PlaceOut(Schema):
    commune: PlaceRef
    province: PlaceRef


class SubmitOut(Schema):
    created: bool
    report: PublicReportOut
    duplicates: list[NearbyOut]
    # The submitter's secret, shown this once (null for a retry later than a few minutes).
    citizen_token: str | None = None
    private_url: str | None = None


class SubmitIn(Schema):
    # Strings, validated by the service so every error names its field in both languages.
    category: str = ""
    description: str = ""
    lat: str = ""
    lon: str = ""
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    public: bool = True
    idempotency_key: str = ""
    client_token: str = ""
    # Tracking code of a nearby open report (from ``GET nearby``) that this is the same problem as:
    # the new report is stored and joined to it (tinhso.reports.support).
    same_as: str = ""


class RateIn(Schema):
    rating: int
    comment: str = ""
    citizen_token: str = ""


class CitizenTextIn(Schema):
    text: str = ""
    citizen_token: str = ""


class TextIn(Schema):
    text: str = ""


class VerifyIn(Schema):
    note: str = ""
    forward: bool = True
    unit: str | None = None


class ForwardIn(Schema):
    unit: str | None = None
    note: str = ""


class ReassignIn(Schema):
    unit: str
    reason: str = ""


class CorrectIn(Schema):
    category: str | None = None
    lat: float | None = None
    lon: float | None = None
    severity: str | None = None
    note: str = ""


class MergeIn(Schema):
    parent: str
    note: str = ""


class ListOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[PublicReportOut]


class StaffListItem(Schema):
    code: str
    category: str
    state: str
    severity: str
    commune: str | None
    handling_unit: str | None
    created_at: dt.datetime
    accept_due: dt.datetime | None
    handle_due: dt.datetime | None
    overdue: bool
    synthetic: bool
    group: str | None = None  # overdue / waiting (not overdue) / other (reports/queue.py)
    officer: str | None = None


class QueueCounts(Schema):
    waiting: int
    overdue: int
    other: int
    total: int
    mine: int | None = None


class StaffListOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[StaffListItem]
    counts: QueueCounts | None = None


class MeOut(Schema):
    username: str
    roles: list[str]
    units: list[HandlingUnitRef]
    province_wide: bool


class StatsRow(Schema):
    key: str | None
    name: str
    received: int
    resolved: int
    on_time: int
    on_time_rate: float | None
    overdue_backlog: int
    median_handling_hours: float | None
    rated: int
    avg_rating: float | None
    satisfaction_rate: float | None


# ---------------------------------------------------------------------------------------------
# Helpers


def _page_numbers(page: int, page_size: int) -> tuple[int, int]:
    if page > MAX_PAGE:  # an offset the database cannot take was a 500
        raise UserError("bad_page", f"page tối đa {MAX_PAGE}.", f"page is at most {MAX_PAGE}.", field="page")
    return max(1, page), max(1, min(MAX_PAGE_SIZE, page_size))


def _page(qs, page: int, page_size: int):
    page, page_size = _page_numbers(page, page_size)
    total = qs.count()
    return total, page, page_size, list(qs[(page - 1) * page_size: page * page_size])


def _public_report(code: str) -> Report:
    report = (Report.objects.select_related("category", "handling_unit", "commune", "parent")
              .prefetch_related("photos", "events").filter(code=code.strip().upper()).first())
    if report is None:
        raise not_found(code)
    return report


def _staff(request):
    actor = actor_for_user(request.auth)
    require_staff(actor)
    return actor


def _staff_report(request, code: str, *, acting: bool = False):
    actor = _staff(request)
    if acting:  # a POST: read-only roles (leaders) are refused before the input is looked at
        require_acting(actor)
    return actor, get_report_for(actor, code)


def _staff_out(actor, report):
    view = privacy.view_for(actor, report)
    view["allowed_actions"] = workflow.allowed_actions(report, actor)
    return view


def _parse_time(value: str | None, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise UserError("bad_datetime", f"Thời điểm {field} không hợp lệ: {value}.",
                        f"Invalid {field} datetime {value!r} (ISO 8601 expected).", field=field) from None
    check_year(moment, field, value)
    if moment.tzinfo is None:
        from tinhso.core.workcalendar import VIETNAM_TZ

        moment = moment.replace(tzinfo=VIETNAM_TZ)
    return moment


# ---------------------------------------------------------------------------------------------
# Public


@router.get("/categories", response=list[CategoryOut])
def list_categories(request):
    return [{"code": c.code, "name": c.name_vi, "name_en": c.name_en, "description": c.description_vi,
             "group": c.group, "auto_forward": c.auto_forward, "default_severity": c.default_severity}
            for c in Category.objects.filter(active=True)]


@router.post("/submit", response={200: SubmitOut, 201: SubmitOut, **errors(429)})
def submit(request, payload: Form[SubmitIn], photos: File[list[UploadedFile]] = None):
    ratelimit.check(request, "submit")
    key = payload.idempotency_key or request.headers.get("Idempotency-Key", "")
    session = getattr(request, "session", None)
    scope = idempotency.scope("api", client_token=payload.client_token or request.headers.get("X-Client-Token", ""),
                              session_key=session.session_key if session is not None else None)
    same_as = payload.same_as.strip()
    result = (partial(support.submit_same_as, same_as) if same_as else intake.submit_report)(
        category=payload.category, description=payload.description, lat=payload.lat, lon=payload.lon,
        photos=photos or [], reporter_name=payload.reporter_name, reporter_phone=payload.reporter_phone,
        reporter_email=payload.reporter_email, public=payload.public, address=payload.address,
        # Scoped to what proves the client (never its address): a key someone else chose cannot
        # fetch their report or secret (tinhso.reports.idempotency).
        idempotency_key=key, idempotency_scope=scope,
    )
    report = _public_report(result.report.code)
    secret = result.citizen_secret
    body = {"created": result.created, "report": privacy.public_view(report, citizen=True),
            "duplicates": [_nearby(r) for r in result.duplicates], "citizen_token": secret,
            "private_url": request.build_absolute_uri(citizen_secret.private_path(report.code, secret))
            if secret else None}
    return Status(201 if result.created else 200, body)


def _token(request, given: str = "") -> str:
    return given or request.headers.get("X-Citizen-Token", "")


def _nearby(report: Report) -> dict:
    return {"code": report.code, "state": report.state, "status": workflow.open311_status(report.state),
            "distance_m": getattr(report, "distance_m", 0.0), "created_at": report.created_at}


NEARBY_DESCRIPTION_CHARS = 160


def _nearby_public(report: Report) -> dict:
    """A suggestion for the citizen form: what the public list shows of a published report (never
    who sent it), with its public page."""
    category = report.category
    description = report.description
    if len(description) > NEARBY_DESCRIPTION_CHARS:
        description = description[:NEARBY_DESCRIPTION_CHARS - 1].rstrip() + "…"
    return {**_nearby(report), "state_label": in_language(State(report.state).label, "vi"),
            "state_label_en": in_language(State(report.state).label, "en"), "category": category.code,
            "category_name": category.name_vi, "category_name_en": category.name_en, "description": description,
            "url": f"/phan-anh/cong-khai/{report.code}"}


@router.get("/nearby", response={200: list[NearbyOut], **errors(429)})
def nearby(request, category: str, lat: float, lon: float):
    """Similar open reports near a point (same category, 250 m, 30 days), for the citizen form: only
    those the public may list (published and checked by a person), so unverified reports are not
    revealed; public fields only (no reporter identity). Cached briefly like the public list."""
    ratelimit.check(request, "track")
    cat = intake.get_category(category)
    lat, lon = intake.parse_coordinate(lat, "lat", -90, 90), intake.parse_coordinate(lon, "lon", -180, 180)

    def compute() -> list[dict]:
        found = duplicates.listable(duplicates.find_nearby(category_id=cat.pk, lat=lat, lon=lon))
        for r in found:
            r.category = cat
        return [_nearby_public(r) for r in found]

    # Keyed on the point to ~1 m (5 decimals): pins dropped on the same spot share an answer.
    return public_cache.remember("api-nearby", (cat.code, round(lat, 5), round(lon, 5)), compute)


@router.get("/place", response={200: PlaceOut, **errors(400, 429)})
def place(request, lat: float, lon: float):
    """The commune and province of a point for the citizen form (each with its English name, which the
    form shows on English pages), or the same 400 ``outside_province`` error that submitting there
    would give ("Vị trí này thuộc tỉnh Khánh Hòa, ngoài tỉnh Lâm Đồng")."""
    ratelimit.check(request, "track")
    from tinhso.geo.locator import locate
    from tinhso.geo.models import Unit

    where = intake.locate_in_province(lat, lon)
    found = locate(where.lat, where.lon)
    commune_en = Unit.objects.filter(pk=where.commune_id).values_list("name_en", flat=True).first()
    province, province_en = intake.province_names(where.province_code)
    return {"commune": {**found["commune"], "name_en": commune_en or ""},
            "province": {"code": where.province_code, "name": province, "name_en": province_en}}


@router.get("/track/{code}", response={200: PublicReportOut, **errors(403, 429)})
def track(request, code: str):
    """The public status; the submitter's view with the ``X-Citizen-Token`` header (wrong → 403)."""
    ratelimit.check(request, "track")
    report = _public_report(code)
    token = _token(request)
    if token:
        citizen_secret.holder(report, token)
    return privacy.public_view(report, citizen=bool(token))


@router.post("/track/{code}/rate", response={200: PublicReportOut, **errors(403, 409, 429)})
def rate(request, code: str, payload: RateIn):
    ratelimit.check(request, "rate")
    report = _public_report(code)
    actor = citizen_secret.holder(report, _token(request, payload.citizen_token))
    feedback.rate(report, payload.rating, comment=payload.comment, actor=actor)
    return privacy.public_view(_public_report(code), citizen=True)


@router.post("/track/{code}/reopen", response={200: PublicReportOut, **errors(403, 409, 429)})
def request_reopen(request, code: str, payload: CitizenTextIn):
    """The submitter, after rating 1–2 without a reason, asks to reopen (``text``: why)."""
    ratelimit.check(request, "rate")
    report = _public_report(code)
    actor = citizen_secret.holder(report, _token(request, payload.citizen_token))
    feedback.request_reopen(report, actor=actor, reason=payload.text)
    return privacy.public_view(_public_report(code), citizen=True)


@router.post("/track/{code}/info", response={200: PublicReportOut, **errors(403, 409, 429)})
def provide_info(request, code: str, payload: CitizenTextIn):
    ratelimit.check(request, "rate")
    report = _public_report(code)
    actor = citizen_secret.holder(report, _token(request, payload.citizen_token))
    handling.provide_info(report, actor, answer=payload.text)
    return privacy.public_view(_public_report(code), citizen=True)


@router.get("/public", response={200: ListOut, **errors(429)})
def public_list(request, category: str | None = None, commune: str | None = None, unit: str | None = None,
                status: str | None = None, state: str | None = None, since: str | None = None,
                until: str | None = None, q: str | None = None, bbox: str | None = None, page: int = 1,
                page_size: int = 50):
    ratelimit.check(request, "list")
    filters = {"category": category, "commune": commune, "unit": unit, "status": status, "state": state,
               "since": _parse_time(since, "since"), "until": _parse_time(until, "until"), "q": q, "bbox": bbox}
    page, page_size = _page_numbers(page, page_size)

    def compute():
        qs = queries.public_reports(**filters).prefetch_related("photos", "events")
        total, _, _, rows = _page(qs, page, page_size)
        return {"count": total, "page": page, "page_size": page_size,
                "results": [privacy.public_view(r, with_history=False) for r in rows]}

    return public_cache.remember("api-public", (filters, page, page_size), compute)


@router.get("/public.geojson", response={200: None, **errors(429)},
            openapi_extra=file_answer("application/geo+json", json_schema=GEOJSON_POINTS))
def public_geojson(request, category: str | None = None, commune: str | None = None, unit: str | None = None,
                   status: str | None = None, state: str | None = None, since: str | None = None,
                   until: str | None = None, q: str | None = None, bbox: str | None = None, limit: int = 5000):
    """The published reports as GeoJSON points: the same filters as ``public`` (and as the public
    list page, text included), so the map and the list show the same reports."""
    ratelimit.check(request, "list")
    filters = {"category": category, "commune": commune, "unit": unit, "status": status, "state": state,
               "since": _parse_time(since, "since"), "until": _parse_time(until, "until"), "q": q, "bbox": bbox}
    limit = max(1, min(limit, 20000))

    def compute() -> str:
        import json

        rows = queries.public_reports(**filters).values(
            "code", "lat", "lon", "state", "is_open", "category__code", "category__name_vi", "category__name_en",
            "created_at", "synthetic")[:limit]
        features = [{
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {"code": r["code"], "state": r["state"], "status": "open" if r["is_open"] else "closed",
                           "category": r["category__code"], "category_name": r["category__name_vi"],
                           "category_name_en": r["category__name_en"], "created_at": r["created_at"].isoformat(), "synthetic": r["synthetic"]},
        } for r in rows]
        return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)

    body = public_cache.remember("api-geojson", (filters, limit), compute)
    return HttpResponse(body, content_type="application/geo+json; charset=utf-8")


@router.get("/photos/{token}", openapi_extra=file_answer("image/jpeg", "image/png", "image/webp"))
def photo(request, token: str):
    item = Photo.objects.select_related("report").filter(token=token).first()
    actor = actor_for_user(request.user) if request.user.is_authenticated else None
    if item is None or not privacy.photo_visible(item, actor):
        raise UserError("photo_not_found", "Không tìm thấy ảnh.", "Photo not found.", status=404)
    response = FileResponse(item.file.open("rb"), content_type=item.mime)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.get("/stats", response={200: list[StatsRow], **errors(429)})
def get_stats(request, by: str = "unit", since: str | None = None, until: str | None = None):
    ratelimit.check(request, "stats")
    return _stats_rows(by, since, until)


def _stats_rows(by, since, until):
    """The figures for ``by``, kept briefly in the shared cache (tinhso.reports.public_cache)."""
    if by not in ("unit", "category"):
        raise UserError("bad_group", "by phải là unit hoặc category.", "by must be unit or category.", field="by")
    fn = stats.unit_stats if by == "unit" else stats.category_stats
    since, until = _parse_time(since, "since"), _parse_time(until, "until")
    return public_cache.remember("stats", (by, since, until), lambda: fn(since=since, until=until))


@router.get("/stats.csv", response={200: None, **errors(429)}, openapi_extra=file_answer("text/csv"))
def get_stats_csv(request, by: str = "unit", since: str | None = None, until: str | None = None):
    import io

    ratelimit.check(request, "stats")
    buffer = io.StringIO()
    stats.write_csv(_stats_rows(by, since, until), buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reports-stats-{by}.csv"'
    return response


# ---------------------------------------------------------------------------------------------
# Staff


@router.get("/me", response=MeOut, auth=staff_auth)
def me(request):
    actor = actor_for_user(request.auth)
    units = HandlingUnit.objects.filter(pk__in=actor.unit_ids)
    return {"username": actor.label, "roles": sorted(actor.roles), "province_wide": actor.province_wide,
            "units": [{"code": u.code, "name": u.name, "kind": u.kind} for u in units]}


@router.get("/units", response=list[HandlingUnitRef], auth=staff_auth)
def units(request):
    _staff(request)
    return [{"code": u.code, "name": u.name, "kind": u.kind} for u in HandlingUnit.objects.filter(active=True)]


def _list_item(r) -> dict:
    return {"code": r.code, "category": r.category.name_vi, "state": r.state, "severity": r.severity,
            "commune": r.commune.name if r.commune_id else None,
            "handling_unit": r.handling_unit.name if r.handling_unit_id else None,
            "created_at": r.created_at, "accept_due": r.accept_due, "handle_due": r.handle_due,
            "overdue": getattr(r, "overdue", _overdue(r)), "synthetic": r.synthetic,
            "group": queue_service.GROUPS[r.grp] if hasattr(r, "grp") else None,
            "officer": r.assigned_officer.get_username() if r.assigned_officer_id else None}


def _overdue(r) -> bool:
    due = getattr(r, "due", None)
    return bool(due and due < timezone.now() and r.paused_at is None)


@router.get("/queue", response=StaffListOut, auth=staff_auth)
def queue(request, state: str | None = None, overdue: bool = False, q: str | None = None, group: str | None = None,
          sort: str | None = None, category: str | None = None, commune: str | None = None,
          unit: str | None = None, since: str | None = None, until: str | None = None,
          page: int = 1, page_size: int = 50):
    """The IOC's queue, in the order of the queue page (overdue, waiting for the IOC and not overdue, the rest) or
    ``sort`` (code, created, deadline, state, category, commune, unit; ``-`` descending);
    ``state=all`` lists every state; ``group`` keeps one group; ``counts`` are per group (after the
    filters). ``category``, ``commune``, ``unit``: codes; ``since``/``until``: received days,
    YYYY-MM-DD, inclusive, Việt Nam time. An unknown code or a bad day is a 400 naming it."""
    actor = _staff(request)
    return _queue_answer(actor, queue_service.IOC, page, page_size, state=state, overdue="1" if overdue else "",
                         q=q, group=group, sort=sort, category=category, commune=commune, unit=unit,
                         since=since, until=until)


@router.get("/inbox", response=StaffListOut, auth=staff_auth)
def inbox(request, state: str | None = None, q: str | None = None, group: str | None = None,
          sort: str | None = None, mine: bool = False, category: str | None = None, commune: str | None = None,
          unit: str | None = None, since: str | None = None, until: str | None = None,
          page: int = 1, page_size: int = 50):
    """The unit's reports: assigned to me by name first, then overdue, then newly assigned and answered
    by the citizen (not overdue), then the rest (same parameters as ``queue``; ``mine`` keeps mine only;
    ``unit`` narrows within the reader's own units, never beyond them)."""
    actor = _staff(request)
    return _queue_answer(actor, queue_service.UNIT, page, page_size, state=state, q=q, group=group, sort=sort,
                         mine="1" if mine else "", category=category, commune=commune, unit=unit,
                         since=since, until=until)


def _queue_answer(actor, kind: str, page: int, page_size: int, **filters) -> dict:
    params = queue_service.Params.from_query({k: v for k, v in filters.items() if v})
    found = queue_service.staff_queue(actor, kind, params)
    total, page, page_size, rows = _page(found.reports, page, page_size)
    return {"count": total, "page": page, "page_size": page_size, "counts": found.counts,
            "results": [_list_item(r) for r in rows]}


@router.get("/staff/{code}", response=OperatorReportOut | StaffReportOut, auth=staff_auth)
def staff_report(request, code: str):
    actor, report = _staff_report(request, code)
    return _staff_out(actor, report)


def _act(request, code, fn, **kwargs):
    actor, report = _staff_report(request, code, acting=True)
    fn(report, actor, **kwargs)
    return _staff_out(actor, get_report_for(actor, code) if actor.can_see(report) else report)


# A unit that returns a report to the IOC no longer sees it: it gets the public view back.
STAFF_RESPONSE = {200: OperatorReportOut | StaffReportOut | PublicReportOut, **errors(409)}  # 409: not allowed from this state


@router.post("/staff/{code}/verify", response=STAFF_RESPONSE, auth=staff_auth)
def verify(request, code: str, payload: VerifyIn):
    return _act(request, code, triage.verify, note=payload.note, forward_now=payload.forward, unit_code=payload.unit)


@router.post("/staff/{code}/reject", response=STAFF_RESPONSE, auth=staff_auth)
def reject(request, code: str, payload: TextIn):
    return _act(request, code, triage.reject, reason=payload.text)


@router.post("/staff/{code}/forward", response=STAFF_RESPONSE, auth=staff_auth)
def forward(request, code: str, payload: ForwardIn):
    return _act(request, code, triage.forward, unit_code=payload.unit, note=payload.note)


@router.post("/staff/{code}/reassign", response=STAFF_RESPONSE, auth=staff_auth)
def reassign(request, code: str, payload: ReassignIn):
    return _act(request, code, triage.reassign, unit_code=payload.unit, reason=payload.reason)


@router.post("/staff/{code}/correct", response=STAFF_RESPONSE, auth=staff_auth)
def correct(request, code: str, payload: CorrectIn):
    return _act(request, code, triage.correct, category=payload.category, lat=payload.lat, lon=payload.lon,
                severity=payload.severity, note=payload.note)


@router.post("/staff/{code}/merge", response=STAFF_RESPONSE, auth=staff_auth)
def merge(request, code: str, payload: MergeIn):
    actor, report = _staff_report(request, code, acting=True)
    workflow.check_rights(report, "merge", actor)  # 403 before looking up a parent the actor may not see
    parent = get_report_for(actor, payload.parent)
    duplicates.merge(report, parent, actor, note=payload.note)
    return _staff_out(actor, get_report_for(actor, code))


@router.post("/staff/{code}/reopen", response=STAFF_RESPONSE, auth=staff_auth)
def reopen(request, code: str, payload: TextIn):
    actor, report = _staff_report(request, code, acting=True)
    workflow.transition(report, "reopen", actor, note=payload.text)
    return _staff_out(actor, get_report_for(actor, code))


@router.post("/staff/{code}/accept", response=STAFF_RESPONSE, auth=staff_auth)
def accept(request, code: str, payload: TextIn):
    return _act(request, code, handling.accept, note=payload.text)


@router.post("/staff/{code}/request-info", response=STAFF_RESPONSE, auth=staff_auth)
def request_info(request, code: str, payload: TextIn):
    return _act(request, code, handling.request_info, question=payload.text)


@router.post("/staff/{code}/resume", response=STAFF_RESPONSE, auth=staff_auth)
def resume(request, code: str, payload: TextIn):
    return _act(request, code, handling.resume, note=payload.text)


@router.post("/staff/{code}/respond", response=STAFF_RESPONSE, auth=staff_auth)
def respond(request, code: str, payload: TextIn):
    return _act(request, code, handling.respond, text=payload.text)


@router.post("/staff/{code}/return", response=STAFF_RESPONSE, auth=staff_auth)
def return_to_ioc(request, code: str, payload: TextIn):
    return _act(request, code, handling.return_to_ioc, reason=payload.text)


@router.post("/staff/{code}/resolve", response=STAFF_RESPONSE, auth=staff_auth)
def resolve(request, code: str, result_text: Form[str] = "", photos: File[list[UploadedFile]] = None):
    return _act(request, code, handling.resolve, result_text=result_text, photos=photos or [])
