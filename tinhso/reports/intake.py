"""Submitting a report: validate everything at the edge, then store it in one transaction.

Checks, each failing with a 400 :class:`UserError` naming the field:

- ``category``: an active category code (Open311 ``service_code``);
- ``description``: required, at most 4,000 characters after NFC normalisation (line breaks kept);
- ``lat``/``lon``: numbers in range, inside the province ``settings.PROVINCE_CODE`` (through
  :func:`tinhso.geo.locator.locate`);
- ``photos``: at most 5, each a JPEG/PNG/WebP by content, at most 10 MB and 50 megapixels,
  60 megapixels together; stored re-encoded without any metadata (:mod:`tinhso.reports.media`);
- ``address``: optional, at most 255 characters;
- contact: optional name (≤ 120), phone, e-mail (≤ 254; validated when given).

Text longer than its limit is refused with its length, never cut.

Each new report gets the submitter's secret (:mod:`tinhso.reports.citizen_secret`), returned
in clear once in :attr:`Submission.citizen_secret` (only its hash is stored); the submitter needs
it to rate, ask to reopen or answer questions. A retried submission with the same idempotency
key (at most 100 characters; longer is a 400, never cut) in the same scope — what proves the
client, see :mod:`tinhso.reports.idempotency` — returns the first report (``created=False``) with
the secret the client already holds (``known_secret``: the web form keeps it in the session, so the
e-mailed link keeps working), else a freshly reissued secret if it was made in the last few minutes
(e-mailed to the citizen, if they gave an address; else none); in the anonymous
scope a retry is a 409 without the report. The report, its first history event, its photos and, for auto-forward
categories, the routing and assignment are committed together, so an acknowledged submission
is on disk (SQLite runs WAL + synchronous=FULL), together with the acknowledgement queued for
the citizen's e-mail (:mod:`tinhso.reports.notices`). On PostgreSQL, without photos and outside a
caller's transaction, "together" is one statement (:func:`tinhso.core.fastinsert.combined`): the report,
its events, the IOC journal row, the outbox messages and the duplicate search in one round trip.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tinhso.core import fastinsert
from tinhso.core.errors import UserError
from tinhso.core.process_cache import ProcessCache, in_transaction
from tinhso.core.text import nfc
from tinhso.geo.models import Unit
from tinhso.reports import citizen_secret, idempotency, media, notices, routing, sla, workflow
from tinhso.reports.models import Category, Channel, PhotoKind, Report, ReportEvent, Severity, State
from tinhso.reports.permissions import Actor, citizen, system
from tinhso.reports.signals import reports_bulk_created

MAX_DESCRIPTION = 4000
# The columns' sizes (Report.address, reporter_name, reporter_email): longer input is refused.
MAX_ADDRESS, MAX_NAME, MAX_EMAIL = 255, 120, 254
_PHONE = re.compile(r"^\+?[0-9 .\-()]{8,20}$")
# Django rebuilds an enumeration's ``values`` list on every access: the sets, once.
_SEVERITIES, _CHANNELS = frozenset(Severity.values), frozenset(Channel.values)


@dataclass
class Submission:
    report: Report
    created: bool  # False: an earlier submission with the same idempotency key was returned
    # Nearby open reports of the same category that the public may list (shown to the submitter).
    duplicates: list[Report] = field(default_factory=list)
    # The submitter's secret in clear, for this response only (None: a late retry gets none).
    citizen_secret: str | None = None


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float
    commune_id: int | None
    commune_code: str | None
    province_code: str
    boundary_version_id: int | None


def clean_description(text) -> str:
    text = unicodedata.normalize("NFC", str(text or "")).strip()
    if not text:
        raise UserError("description_required", "Cần mô tả nội dung phản ánh.", "A description is required.",
                        field="description")
    if len(text) > MAX_DESCRIPTION:
        raise UserError("description_too_long",
                        f"Mô tả dài {len(text)} ký tự, tối đa {MAX_DESCRIPTION}.",
                        f"The description has {len(text)} characters; at most {MAX_DESCRIPTION} are allowed.",
                        field="description", details={"length": len(text), "max": MAX_DESCRIPTION})
    return text


def _active_categories() -> dict[str, Category]:
    return {c.code: c for c in Category.objects.filter(active=True)}


# Read on every submission, edited a few times a year (see tinhso.core.process_cache).
_categories: ProcessCache[dict[str, Category]] = ProcessCache("intake-categories", _active_categories,
                                                              ttl=60.0, models=(Category,))


def _province_communes() -> dict[int, Unit]:
    return {u.pk: u for u in Unit.objects.filter(structure="current", level="commune",
                                                 province_code=settings.PROVINCE_CODE)}


# The province's communes (the report's commune, named in the citizen's acknowledgement): read once
# per process, not once per submission; dropped when a unit is saved (registry updates).
_communes: ProcessCache[dict] = ProcessCache("intake-communes", _province_communes, ttl=60.0,
                                             models=(Unit,))


def get_category(code) -> Category:
    code = str(code or "").strip()
    if not code:
        category = None
    elif in_transaction():  # fresh rows, and one is enough
        category = Category.objects.filter(code=code, active=True).first()
    else:
        category = _categories.get().get(code)
        if category is None:
            # A miss is never taken from the cache: the category may have been added in another
            # process (the admin, `tinhso demo`) since this one loaded the table.
            category = Category.objects.filter(code=code, active=True).first()
            if category is not None:
                _categories.forget()
    if category is None:
        raise UserError("unknown_category", f"Lĩnh vực “{code}” không tồn tại.",
                        f"Unknown category (service_code) {code!r}.", field="category", status=400)
    return category


_COORDINATE_NAMES = {"lat": ("Vĩ độ", "Latitude"), "lon": ("Kinh độ", "Longitude")}


def parse_coordinate(value, name: str, low: float, high: float) -> float:
    vi, en = _COORDINATE_NAMES.get(name, (f"Tọa độ {name}", f"Coordinate {name}"))
    try:
        number = float(str(value).strip().replace(",", ".")) if value is not None and str(value).strip() else None
    except ValueError:
        number = None
    if number is None or not math.isfinite(number):
        shown = f"“{value}” không phải một số" if value is not None and str(value).strip() else "còn trống"
        raise UserError("bad_coordinates", f"{vi} ({name}) không hợp lệ: {shown}.",
                        f"{en} ({name}) is not a number: {value!r}." if value is not None and str(value).strip()
                        else f"{en} ({name}) is missing.", field=name)
    if not low <= number <= high:
        raise UserError("bad_coordinates", f"{vi} ({name}) = {number} nằm ngoài khoảng [{low}, {high}].",
                        f"{en} ({name}) = {number} is outside [{low}, {high}].", field=name)
    return number


def province_names(code: str | None) -> tuple[str, str]:
    """The current Vietnamese and English names of province ``code`` ("Tỉnh Khánh Hòa", "Khanh Hoa
    Province"; the Vietnamese one where there is no English name), or ``("", "")`` when unknown."""
    from tinhso.geo.models import Unit

    if not code:
        return "", ""
    unit = Unit.objects.filter(structure="current", level="province", code=code).only("name", "name_en").first()
    return (unit.name, unit.name_en or unit.name) if unit else ("", "")


def outside_province_error(lat: float, lon: float, located_province: str | None) -> UserError:
    """"Vị trí này thuộc tỉnh Khánh Hòa, ngoài tỉnh Lâm Đồng": names both provinces, not codes (a point
    outside Việt Nam's communes, or of a province we cannot name, says only that it is outside)."""
    ours, ours_en = province_names(settings.PROVINCE_CODE)
    ours, ours_en = ours or settings.PROVINCE_CODE, ours_en or settings.PROVINCE_CODE
    theirs, theirs_en = province_names(located_province) if located_province != settings.PROVINCE_CODE else ("", "")
    if theirs:
        vi = f"Vị trí này thuộc {_lower_type(theirs)}, ngoài {_lower_type(ours)}."
        en = f"This position is in {theirs_en}, outside {ours_en}."
    else:
        vi = f"Vị trí này nằm ngoài {_lower_type(ours)}."
        en = f"This position is outside {ours_en}."
    return UserError("outside_province", vi, en, field="lat",
                     details={"located_province": located_province, "located_province_name": theirs,
                              "located_province_name_en": theirs_en,
                              "lat": lat, "lon": lon})


def _lower_type(name: str) -> str:
    """"Tỉnh Khánh Hòa" → "tỉnh Khánh Hòa" inside a sentence ("Thành phố Huế" → "thành phố Huế")."""
    return name[:1].lower() + name[1:] if name[:1].isupper() and " " in name else name


def locate_in_province(lat, lon) -> Location:
    """Locate the point; 400 when it is outside the installation's province, naming the province it is in."""
    from tinhso.geo.locator import locate_commune

    lat_f = parse_coordinate(lat, "lat", -90, 90)
    lon_f = parse_coordinate(lon, "lon", -180, 180)
    found, commune_id = locate_commune(lat_f, lon_f)
    province = (found.get("province") or {}).get("code")
    if found.get("status") != "ok" or province != settings.PROVINCE_CODE or not found.get("commune"):
        raise outside_province_error(lat_f, lon_f, province)
    code = found["commune"]["code"]
    version = (found.get("boundary") or {}).get("version")
    return Location(lat_f, lon_f, commune_id, code, province, version if isinstance(version, int) else None)


def too_long(field: str, text: str, limit: int, vi_what: str, en_what: str) -> UserError:
    return UserError(f"{field.removeprefix('reporter_')}_too_long",
                     f"{vi_what} dài {len(text)} ký tự, tối đa {limit}.",
                     f"The {en_what} has {len(text)} characters; at most {limit} are allowed.",
                     field=field, details={"length": len(text), "max": limit})


def clean_address(address) -> str:
    """The typed address (NFC); over :data:`MAX_ADDRESS` characters is refused, never cut."""
    address = nfc(address or "")
    if len(address) > MAX_ADDRESS:
        raise too_long("address", address, MAX_ADDRESS, "Địa chỉ", "address")
    return address


def clean_contact(name="", phone="", email="") -> tuple[str, str, str]:
    name, phone, email = nfc(name or ""), nfc(phone or ""), (email or "").strip()
    if len(name) > MAX_NAME:
        raise too_long("reporter_name", name, MAX_NAME, "Họ tên", "name")
    if len(email) > MAX_EMAIL:  # the column's size: longer was cut or refused by the database
        raise too_long("reporter_email", email, MAX_EMAIL, "Địa chỉ email", "e-mail address")
    if phone and not _PHONE.match(phone):
        raise UserError("bad_phone", f"Số điện thoại không hợp lệ: “{phone}”.", f"Invalid phone number {phone!r}.",
                        field="reporter_phone")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise UserError("bad_email", f"Địa chỉ email không hợp lệ: “{email}”.", f"Invalid e-mail {email!r}.",
                            field="reporter_email") from None
    return name, phone, email


def submit_report(*, category: str, description: str, lat, lon, photos=(), reporter_name: str = "",
                  reporter_phone: str = "", reporter_email: str = "", public: bool = True, address: str = "",
                  severity: str | None = None, channel: str = Channel.WEB, api_client=None,
                  idempotency_key: str = "", idempotency_scope: str | None = None,
                  actor: Actor | None = None, now: dt.datetime | None = None,
                  known_secret: str = "") -> Submission:
    """Validate and store a citizen report. See the module docstring for the rules.

    ``known_secret``: the secret this client was already given for the report its key made (the web
    form keeps it in the browser's session); a retry answers it again instead of issuing a new one,
    so the private link already e-mailed keeps working."""
    key = idempotency.clean_key(idempotency_key)
    scope = idempotency_scope or (f"client:{api_client.pk}" if api_client else idempotency.ANONYMOUS)
    if key:
        existing = Report.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
        if existing is not None:
            return _replayed(existing, scope, actor, api_client, now, known_secret)

    cat = get_category(category)
    text = clean_description(description)
    where = locate_in_province(lat, lon)
    name, phone, email = clean_contact(reporter_name, reporter_phone, reporter_email)
    address = clean_address(address)
    if severity and severity not in _SEVERITIES:
        raise UserError("bad_severity", f"Mức độ không hợp lệ: {severity}.", f"Unknown severity {severity!r}.",
                        field="severity")
    if channel not in _CHANNELS:
        raise UserError("bad_channel", f"Kênh không hợp lệ: {channel}.", f"Unknown channel {channel!r}.",
                        field="channel")
    clean_photos = media.clean_uploads(photos)
    actor = actor or (citizen(f"api:{api_client.name}") if api_client else citizen())
    now = now or timezone.now()
    # Read before the transaction (rules and calendar are cached per process outside one), so the
    # write transaction holds its locks only for the inserts.
    policy = sla.Policy.current()
    severity = severity or cat.default_severity
    found = (routing.route(category_id=cat.pk, commune_id=where.commune_id, severity=severity)
             if cat.auto_forward else None)
    commune = _communes.get().get(where.commune_id) if where.commune_id is not None and not in_transaction() else None

    def write() -> tuple[Report, str | None, list[ReportEvent]]:
        report = fastinsert.new(  # Report(...) without its per-field loop (tinhso.core.fastinsert.new)
            Report, category=cat, description=text, address=address, lat=where.lat, lon=where.lon,
            commune_id=where.commune_id, province_code=where.province_code,
            boundary_version_id=where.boundary_version_id, severity=severity,
            channel=channel, api_client=api_client, idempotency_scope=scope if key else "",
            idempotency_key=key, reporter_name=name, reporter_phone=phone, reporter_email=email,
            public=bool(public), created_at=now, updated_at=now, state=State.SUBMITTED, is_open=True,
        )
        if commune is not None:  # the same row, already loaded: no query when a notice names it
            Report.commune.field.set_cached_value(report, commune)
        secret = citizen_secret.issue(report)
        sla.start_accept_clock(report, now, policy)
        events = [fastinsert.new(ReportEvent, report=report, at=now, actor=actor.user,
                                 actor_label=actor.label[:120], actor_role="citizen", action="submit",
                                 from_state="", to_state=State.SUBMITTED, public=True,
                                 data={"channel": channel, "commune": where.commune_code})]
        if found is not None and found.unit is not None:
            # Auto-forward categories: assigned in the same rows, no second locked update.
            events.append(_assign(report, found, now, policy))
        # The report and its events through statements compiled once (tinhso.core.fastinsert): the
        # ORM's per-INSERT compilation was the largest part of a submission's Python time. What
        # Report.save() and its post_save receivers would do is done here: the search key, and the
        # IOC's journal row (the signal sent for inserts that bypass save()).
        report.refresh_search_text()
        fastinsert.insert([report])
        reports_bulk_created.send(Report, reports=[report])
        for event in events:
            event.report = report
        fastinsert.insert(events)
        for photo in clean_photos:
            media.save_photo(report, photo, PhotoKind.CITIZEN)
        notices.on_submitted(report, secret, events)
        return report, secret, events

    # On PostgreSQL, without photos (their rows need the report's id, and their files are written
    # first), the report, its events, its journal row and its outbox messages are written by one
    # statement, atomic by itself (tinhso.core.fastinsert.combined): one round trip and one commit
    # instead of BEGIN, four INSERTs and COMMIT. Otherwise (SQLite, photos, a caller's transaction)
    # the same rows in one transaction.
    # The duplicate search goes in that statement too: it sees the reports as they were before this one.
    one_statement = connection.vendor == "postgresql" and not clean_photos and not in_transaction()
    from tinhso.reports import duplicates

    found_nearby = None
    try:
        if one_statement:
            # Only the suggestions the public may see come back (all a submission shows: listable, below).
            search = duplicates.search_statement(cat.pk, where.lat, where.lon, now, listed_only=True)
            with fastinsert.combined(then=search) as done:
                report, secret, events = write()
            found_nearby = duplicates.suggestions(done.rows)
        else:
            with transaction.atomic():
                report, secret, events = write()
    except IntegrityError:
        # The same idempotency key committed by a concurrent request: return that report.
        if key:
            existing = Report.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
            if existing is not None:
                return _replayed(existing, scope, actor, api_client, now, known_secret)
        raise
    if found_nearby is None:
        found_nearby = duplicates.find_nearby(report)
    return Submission(report, created=True, duplicates=duplicates.listable(found_nearby), citizen_secret=secret)


def _replayed(report: Report, scope: str, actor: Actor | None, api_client, now: dt.datetime | None,
              known_secret: str = "") -> Submission:
    """The first report of a retried submission: with the secret the client already holds
    (``known_secret``, if it still matches), else a reissued one while the report is recent — then,
    if the citizen gave an e-mail, the new private link is e-mailed too (the acknowledgement's link
    stopped working); a 409 in the anonymous scope (anyone may send the same key)."""
    if scope == idempotency.ANONYMOUS:
        raise idempotency.replay_refused(report.idempotency_key)
    if known_secret and citizen_secret.matches(report, known_secret):
        return Submission(report, created=False, citizen_secret=known_secret)
    label = actor.label if actor else (f"api:{api_client.name}" if api_client else "citizen")
    with transaction.atomic():
        secret = citizen_secret.reissue(report, label=label, now=now)
        if secret and report.reporter_email:
            notices.secret_reissued(report, secret)
    return Submission(report, created=False, citizen_secret=secret)


def _assign(report: Report, found: routing.Route, now: dt.datetime, policy: sla.Policy) -> ReportEvent:
    """Apply ``auto_assign`` to the (unsaved) report in memory; return its unsaved event."""
    report.handling_unit, report.routing_rule = found.unit, found.rule
    return workflow.apply(report, "auto_assign", system(), now=now, policy=policy,
                          note=routing.forwarded_note(found.unit, automatic=True),
                          data={"unit": found.unit.code, "rule": found.rule.pk if found.rule else None})


def auto_forward(report: Report, *, now: dt.datetime | None = None) -> bool:
    """Route and assign without IOC triage (Điện Biên model). False if no unit could be found."""
    found = routing.route_report(report)
    if found.unit is None:
        return False
    workflow.transition(report, "auto_assign", system(), now=now,
                        changes={"handling_unit": found.unit, "routing_rule": found.rule},
                        note=routing.forwarded_note(found.unit, automatic=True),
                        data={"unit": found.unit.code, "rule": found.rule.pk if found.rule else None})
    return True
