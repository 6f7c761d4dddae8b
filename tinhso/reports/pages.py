"""Server-rendered pages of field reports: citizen, IOC operator, handling unit, public.

Thin views: every rule lives in a service module (``intake``, ``triage``, ``handling``,
``feedback``, ``duplicates``, ``queries``, ``privacy``, ``stats``). A view parses the request,
calls one service and renders what :mod:`tinhso.reports.privacy` allows that reader to see:

- the citizen and the public get :func:`privacy.public_view` (never contact data);
- the handling unit gets :func:`privacy.handler_view` (no contact data either, even for a
  user who is also an operator: the unit page is the unit's view);
- only the IOC pages use :func:`privacy.operator_view`.

A :class:`UserError` from a service is shown next to the field it names, in the reader's
language, with the input kept; "not found or not yours" is a plain 404 (a unit cannot learn
that another unit's report exists). Staff actions are dispatched through two tables
(:data:`OPERATOR_ACTIONS`, :data:`UNIT_ACTIONS`) that map a workflow action to its service call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from tinhso.core import ratelimit as core_ratelimit
from tinhso.core.errors import UserError
from tinhso.core.i18n import english_now, local_name, pick
from tinhso.core.text import nfc
from tinhso.core.timebounds import parse_day
from tinhso.reports import (
    citizen_secret,
    duplicates,
    feedback,
    handling,
    idempotency,
    privacy,
    public_cache,
    queries,
    queue,
    ratelimit,
    sla,
    stats,
    support,
    synthetic,
    triage,
    workflow,
)
from tinhso.reports.forms import (
    LookupForm,
    ProvideInfoForm,
    RatingForm,
    RecoverLinkForm,
    ReopenRequestForm,
    ReportForm,
    user_message,
)
from tinhso.reports.intake import submit_report
from tinhso.reports.models import Category, Channel, HandlingUnit, Photo, Report, ReportEvent, Severity, State
from tinhso.reports.permissions import (
    HANDLER,
    LEADER,
    OPERATOR,
    SUPERVISOR,
    Actor,
    actor_for_user,
    get_report_for,
)

LOGIN_URL = "/dang-nhap"
# Session key: "the report this browser just submitted", so its private page shows the secret box once.
CONFIRM_SESSION_KEY = "reports_confirm"
# Idempotency key → the secret given for it, for this browser's last few submissions (see submit).
SECRETS_SESSION_KEY = "reports_given_secrets"
SECRETS_KEPT = 5
PAGE_SIZE = 50
# Units the statistics page lists before its "show all" button (reports/stats.js; all without script).
STATS_UNITS_SHOWN = 20
# Optional raster tiles for the maps (e.g. an internal tile server). Off by default: the IOC
# runs on a closed network, so the basemap is the province's commune polygons from our own data.
MAP_TILE_URL_SETTING = "REPORTS_MAP_TILE_URL"
BASEMAP_CACHE_SECONDS = 6 * 3600
BASEMAP_TOLERANCE_DEG = 0.0008  # ~90 m: plenty for placing a pin, keeps the file small

# Reasons an operator may give when rejecting (stored as a code with the event, named in the page's language).
REJECT_REASONS = triage.REJECT_REASONS


# ---------------------------------------------------------------------------------------------
# Helpers


# The page's language and a name in it: the shared helpers (tinhso.core.i18n), kept under these names
# for this module's callers. ``pick(vi, en)``: ``en`` on an English page when there is one, else ``vi``.
is_english = english_now


def split_label(label) -> str:
    """A choice label (translatable) in the reader's language."""
    return str(label)


def state_label(state: str) -> str:
    return split_label(State(state).label) if state in State.values else state


def severity_label(severity: str) -> str:
    return split_label(Severity(severity).label) if severity in Severity.values else severity


def category_name(category) -> str:
    """A category (model or the privacy views' dict) in the reader's language."""
    return local_name(category)


# History rows written outside the workflow (their actions are not transitions).
EVENT_LABELS = {
    "submit": _lazy("Đã gửi phản ánh"),
    "reissue_secret": _lazy("Cấp lại đường dẫn riêng"),
    "erase_contact": _lazy("Đã xóa thông tin liên hệ"),
}


def action_label(action: str) -> str:
    t = workflow.BY_ACTION.get(action)
    if t is not None:
        return pick(t.label_vi, t.label_en)
    return str(EVENT_LABELS.get(action, action))


ROLE_LABELS = {
    "citizen": _lazy("người dân"), "system": _lazy("hệ thống"),
    "operator": _lazy("điều hành viên IOC"), "handler": _lazy("cán bộ xử lý"),
    "supervisor": _lazy("lãnh đạo giám sát"), "planner": _lazy("cán bộ kế hoạch"),
    "leader": _lazy("lãnh đạo"),
}


def role_label(role: str) -> str:
    """A history row's role in the reader's language (stored as a code: ``operator``, ``citizen``…)."""
    return str(ROLE_LABELS.get(role, role))


def category_choices() -> list[tuple[str, str]]:
    return [(c.code, category_name(c)) for c in Category.objects.filter(active=True)]


def map_context() -> dict:
    """What a page with a map needs: the commune outlines' URL; the street basemap itself comes from
    the ``basemap`` context processor (:mod:`tinhso.web.basemap`); ``REPORTS_MAP_TILE_URL`` is the
    older XYZ setting, still honoured when ``TINHSO_BASEMAP_TILES`` is not set."""
    return {"map_page": True, "basemap_url": "/phan-anh/ban-do/xa.geojson",
            "tile_url": getattr(settings, MAP_TILE_URL_SETTING, "") or ""}


# The map's colours per report state (the legend and the markers share them; colour-blind safe
# pairs, each with its label in the legend so colour is never the only cue).
STATE_COLOURS = {
    State.VERIFIED: "#1f6fb2", State.ASSIGNED: "#6a4fb3", State.IN_PROGRESS: "#b35900",
    State.INFO_REQUESTED: "#a3007d", State.RETURNED_TO_IOC: "#7a5c00", State.REOPENED: "#c0392b",
    State.RESOLVED: "#1e7b34", State.CLOSED: "#4d5b67",
}


def map_legend() -> list[dict]:
    """The public map's legend: one entry per state a published report can be in, in workflow order."""
    return [{"state": str(state), "label": state_label(state), "colour": colour}
            for state, colour in STATE_COLOURS.items()]


def error_page(request, err: UserError):
    return render(request, "reports/error.html", {"message": user_message(err), "code": err.code},
                  status=err.status)


def _history(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["action_label"] = action_label(row["action"])
        row["reason_label"] = triage.reject_reason(row.get("reason", ""), english=is_english())
        if row["action"] == "correct" and row.get("data"):  # staff rows only (the public ones carry no data)
            row["changes"] = correction_changes(row["data"])
        row["to_label"] = state_label(row["to_state"])
        if row.get("role"):
            row["role"] = role_label(row["role"])
        if row.get("actor") in ("citizen", "system"):  # a label that is only the role's code
            row["actor"], row["role"] = role_label(row["actor"]), ""
        elif row.get("actor"):
            row["actor"] = synthetic.display_label(row["actor"], is_english())
    return rows


def correction_changes(data: dict) -> list[dict]:
    """What a correction ("correct" event, data ``{"before": …, "after": …}`` of :func:`triage.correct`)
    changed, each field and value in the reader's language: category, severity, position (with the
    commune when it changed)."""
    from tinhso.geo.models import Unit

    before, after = data.get("before") or {}, data.get("after") or {}
    rows = []
    if "category" in after:
        names = {c.code: category_name(c) for c in Category.objects.filter(code__in=[before.get("category"),
                                                                                  after["category"]])}
        rows.append({"field": _("Lĩnh vực"), "before": names.get(before.get("category"), before.get("category") or "—"),
                     "after": names.get(after["category"], after["category"])})
    if "severity" in after:
        rows.append({"field": _("Mức độ"), "before": severity_label(before.get("severity") or "") or "—",
                     "after": severity_label(after["severity"])})
    if "lat" in after and "lon" in after:
        communes = {u.pk: local_name(u) for u in Unit.objects.filter(pk__in=[before.get("commune"),
                                                                          after.get("commune_id")])}

        def place(lat, lon, commune) -> str:
            if lat is None or lon is None:
                return "—"
            where = f"{float(lat):.5f}, {float(lon):.5f}"
            return f"{where} ({communes[commune]})" if commune in communes else where

        same_commune = before.get("commune") == after.get("commune_id")
        rows.append({"field": _("Vị trí"),
                     "before": place(before.get("lat"), before.get("lon"), None if same_commune else before.get("commune")),
                     "after": place(after["lat"], after["lon"], None if same_commune else after.get("commune_id"))})
    return rows


def _decorate(view: dict) -> dict:
    """Labels in the reader's language for a privacy view (dict) before rendering."""
    view["category_label"] = category_name(view["category"]) if view["category"] else ""
    if view.get("reporter_name"):  # the IOC's view only
        view["reporter_name"] = synthetic.display_label(view["reporter_name"], is_english())
    view["state_text"] = state_label(view["state"])
    # The citizen's photos and the unit's result photos, shown as two captioned groups.
    view["citizen_photos"] = [p for p in view.get("photos") or [] if p["kind"] != "result"]
    view["result_photos"] = [p for p in view.get("photos") or [] if p["kind"] == "result"]
    view["severity_text"] = severity_label(view.get("severity") or "")
    if view.get("channel") in Channel.values:
        view["channel_text"] = str(Channel(view["channel"]).label)
    _history(view.get("history") or [])
    if view.get("parent"):
        view["parent"]["state_text"] = state_label(view["parent"]["state"])
    return view


def _report_or_404(code: str) -> Report:
    report = (Report.objects.select_related("category", "handling_unit", "commune", "parent")
              .prefetch_related("photos", "events").filter(code=code.strip().upper()).first())
    if report is None:
        raise Http404(code)
    return report


def staff_page(*roles: str):
    """Login required (our login page), and one of ``roles`` (from the user's permissions,
    :func:`~tinhso.reports.permissions.actor_for_user`); otherwise a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect(f"{LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
            actor = actor_for_user(request.user)
            if not actor.roles & set(roles):
                return error_page(request, UserError(
                    "forbidden", "Tài khoản của bạn không có quyền xem trang này.",
                    "Your account may not open this page.", status=403))
            try:
                return view(request, actor, *args, **kwargs)
            except UserError as err:
                return error_page(request, err)

        return wrapper

    return decorator


def _page(request, qs):
    paginator = Paginator(qs, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _filter_query(request, *names: str) -> str:
    """The current filters as a query string, for pagination links."""
    return urlencode({n: request.GET[n] for n in names if request.GET.get(n)})


# ---------------------------------------------------------------------------------------------
# Citizen


def submit(request):
    """``/phan-anh``: the citizen's form; on success, the tracking page of the new report."""
    if not request.session.session_key:
        request.session.save()  # the form's retries are scoped to this browser's session (see idempotency)
    form = ReportForm(request.POST or None, request.FILES or None, categories=category_choices())
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.check(request, "submit")
            # Retries are this browser's (its session), never every visitor behind the same address.
            kwargs = dict(form.service_kwargs(), channel="web", idempotency_scope=idempotency.scope(
                "web", session_key=request.session.session_key))
            # A retry (double tap, resent form) answers the secret this browser was given, so the
            # private link in the acknowledgement e-mail keeps working.
            key = kwargs.get("idempotency_key") or ""
            kwargs["known_secret"] = request.session.get(SECRETS_SESSION_KEY, {}).get(key, "") if key else ""
            same_as = (form.cleaned_data.get("same_as") or "").strip()
            submission = support.submit_same_as(same_as, **kwargs) if same_as else submit_report(**kwargs)
        except UserError as err:
            form.add_user_error(err)
            status = err.status
        else:
            code, secret = submission.report.code, submission.citizen_secret
            parent = submission.report.parent.code if submission.report.parent_id else ""
            if parent:
                messages.success(request, _("Đã nhận phản ánh và gộp vào phản ánh %(parent)s về cùng việc. Mã theo dõi "
                                            "của bạn: %(code)s — hãy lưu lại mã này.") % {"code": code, "parent": parent})
            else:
                messages.success(request, _("Đã nhận phản ánh. Mã theo dõi của bạn: %(code)s — hãy lưu lại mã này.")
                                 % {"code": code})
            if secret is None:  # a retry long after the first answer: the secret was given then
                messages.warning(request, _("Phản ánh này đã được gửi trước đó; mã bí mật chỉ hiển thị ở lần "
                                            "gửi đầu tiên."))
                return redirect("reports-track", code=code)
            # The confirmation is the private page itself; the session only says "show the secret box".
            request.session[CONFIRM_SESSION_KEY] = code
            if key:
                given = request.session.get(SECRETS_SESSION_KEY, {})
                given.pop(key, None)
                given[key] = secret
                request.session[SECRETS_SESSION_KEY] = dict(list(given.items())[-SECRETS_KEPT:])
            return redirect(citizen_secret.private_path(code, secret))
    photos_lost = request.method == "POST" and bool(request.FILES)
    if request.method == "POST" and status == 200:
        status = 400
    return render(request, "reports/submit.html", {"form": form, "photos_lost": photos_lost, "exif_reader": True,
                                                   **map_context()}, status=status)


def lookup(request):
    """``/phan-anh/tra-cuu?ma=CODE``: find a report by its tracking code; POST: e-mail a new private
    link (code + the e-mail given), answered the same way whether or not they matched."""
    if request.method == "POST":
        return _recover_link(request)
    form = LookupForm(request.GET or None)
    if form.is_bound:
        try:
            ratelimit.check(request, "track")
        except UserError as err:
            return error_page(request, err)
    if form.is_bound and form.is_valid():
        code = form.cleaned_data["ma"].strip().upper()
        if Report.objects.filter(code=code).exists():
            secret = form.cleaned_data.get("k", "").strip()
            return redirect(citizen_secret.private_path(code, secret) if secret else f"/phan-anh/{code}")
        form.add_error("ma", _("Không tìm thấy phản ánh có mã %(code)s.") % {"code": code})
    return render(request, "reports/lookup.html", {"form": form, "recover_form": RecoverLinkForm()},
                  status=404 if form.errors else 200)


RECOVER_DONE = _lazy("Nếu mã phản ánh và địa chỉ email khớp với phản ánh đã gửi, một đường dẫn riêng mới "
                     "sẽ được gửi đến địa chỉ đó trong ít phút (đường dẫn cũ sẽ không dùng được nữa).")


def _recover_link(request):
    recover_form = RecoverLinkForm(request.POST)
    try:
        ratelimit.check(request, "recover")
        if recover_form.is_valid():
            code = recover_form.cleaned_data["code"].strip().upper()
            core_ratelimit.hit(f"reports:recover:code:{code}", ratelimit.RECOVER_PER_CODE)
            citizen_secret.recover(code, recover_form.cleaned_data["email"])
    except UserError as err:
        return error_page(request, err)
    if not recover_form.is_valid():
        return render(request, "reports/lookup.html", {"form": LookupForm(), "recover_form": recover_form},
                      status=400)
    # The same answer whether or not they matched: it must not confirm who sent a report.
    messages.info(request, RECOVER_DONE)
    return redirect("reports-lookup")


def _citizen_photo_urls(view: dict, secret: str | None) -> dict:
    """Photos through this page; with the secret the submitter also sees their own, unverified ones."""
    code = view["code"]
    query = f"?{urlencode({'k': secret})}" if secret else ""
    for photo in view["photos"]:
        photo["url"] = f"/phan-anh/{code}/anh/{photo['token']}{query}"
    return view


def _track_context(request, report: Report, *, secret: str | None = None, rating_form=None, info_form=None,
                   reopen_form=None, secret_error: str = "") -> dict:
    """The tracking page: the submitter's (``secret`` proved) or the public status (no action forms)."""
    submitter = secret is not None
    view = _decorate(_citizen_photo_urls(privacy.public_view(report, citizen=submitter), secret))
    can_rate = report.rating is None and report.state in workflow.BY_ACTION["rate"].sources
    can_answer = report.state == State.INFO_REQUESTED
    can_reopen = feedback.may_ask_reopen(report)
    private_url = request.build_absolute_uri(citizen_secret.private_path(report.code, secret)) if submitter else ""
    return {
        "report": view,
        "submitter": submitter,
        "secret": secret or "",
        "private_url": private_url,
        "just_submitted": submitter and request.session.pop(CONFIRM_SESSION_KEY, None) == report.code,
        "secret_error": secret_error,
        "has_secret": bool(report.citizen_secret_hash),
        "submitter_can_act": can_rate or can_answer or can_reopen,
        "reopen_form": (reopen_form or (ReopenRequestForm() if can_reopen else None)) if submitter else None,
        "rating_form": (rating_form or (RatingForm() if can_rate else None)) if submitter else None,
        "info_form": (info_form or (ProvideInfoForm() if can_answer else None)) if submitter else None,
        "info_question": report.status_note if can_answer else "",
        "result_photos": [p for p in view["photos"] if p["kind"] == "result"],
        "citizen_photos": [p for p in view["photos"] if p["kind"] != "result"],
        **map_context(),
    }


def _render_track(request, report: Report, *, status: int = 200, **kwargs):
    response = render(request, "reports/track.html", _track_context(request, report, **kwargs), status=status)
    if kwargs.get("secret"):
        response["Cache-Control"] = "private, no-store"  # the page holds the private link
    return response


def _proved_secret(report: Report, given) -> tuple[str, Actor]:
    """The submitter actor and ``given`` in its printed form, once proved (raises 403 otherwise)."""
    actor = citizen_secret.holder(report, given)
    raw = citizen_secret.normalize(given)
    size = citizen_secret.GROUP_SIZE
    return "-".join(raw[i:i + size] for i in range(0, len(raw), size)), actor


def track(request, code: str):
    """``/phan-anh/<code>``: the public status; with ``?k=<secret>`` the submitter's page (rating, answers)."""
    if code != code.upper():
        query = f"?{urlencode({'k': request.GET['k']})}" if request.GET.get("k") else ""
        return redirect(f"/phan-anh/{code.upper()}{query}")
    try:
        ratelimit.check(request, "track")
    except UserError as err:
        return error_page(request, err)
    report = _report_or_404(code)
    given = request.GET.get("k", "")
    if not given.strip():
        return _render_track(request, report)
    try:
        secret, _actor = _proved_secret(report, given)
    except UserError as err:
        return _render_track(request, report, secret_error=user_message(err), status=err.status)
    return _render_track(request, report, secret=secret)


def _citizen_action(request, code: str, form, run: Callable, form_key: str, done: str):
    """A submitter's POST: the secret (hidden field ``k``) first — 403 without it — then the form."""
    report = _report_or_404(code)
    try:
        ratelimit.check(request, "rate")
        secret, actor = _proved_secret(report, request.POST.get("k", ""))
    except UserError as err:
        return _render_track(request, report, secret_error=user_message(err), status=err.status)
    if form.is_valid():
        try:
            run(report, actor, form.cleaned_data)
        except UserError as err:
            form.add_user_error(err)
        else:
            messages.success(request, done)
            return redirect(citizen_secret.private_path(report.code, secret))
    return _render_track(request, report, secret=secret, status=400, **{form_key: form})


@require_POST
def rate(request, code: str):
    return _citizen_action(
        request, code, RatingForm(request.POST),
        lambda report, actor, data: feedback.rate(report, data["rating"], comment=data["comment"], actor=actor),
        "rating_form", _("Cảm ơn bạn đã đánh giá."))


@require_POST
def request_reopen(request, code: str):
    """An unhappy submitter (rating 1–2 given without a reason) asks to reopen, with a reason."""
    return _citizen_action(
        request, code, ReopenRequestForm(request.POST),
        lambda report, actor, data: feedback.request_reopen(report, actor=actor, reason=data["comment"]),
        "reopen_form", _("Đã gửi đề nghị xử lý lại."))


@require_POST
def provide_info(request, code: str):
    return _citizen_action(
        request, code, ProvideInfoForm(request.POST),
        lambda report, actor, data: handling.provide_info(report, actor, answer=data["answer"]),
        "info_form", _("Đã gửi thông tin bổ sung."))


def citizen_photo(request, code: str, token: str):
    """A photo of the report: public rules, or with ``?k=<secret>`` the submitter's own photos too."""
    photo = Photo.objects.select_related("report").filter(token=token, report__code=code.upper()).first()
    submitter = photo is not None and citizen_secret.matches(photo.report, request.GET.get("k", ""))
    if photo is None or not privacy.photo_visible(photo, citizen=submitter):
        raise Http404("photo")
    response = FileResponse(photo.file.open("rb"), content_type=photo.mime)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------------------------------------
# Public


PUBLIC_FILTERS = ("category", "status", "q", "commune")


def public_list(request):
    """``/phan-anh/cong-khai``: published reports (no personal data), list + map. The map reads
    ``public.geojson`` with the very same filters (text included), so both show the same reports.
    ``commune=<code>`` (what a commune of the public IOC wall opens) keeps to one commune or ward of
    the province, named above the list with a link that drops it; a code naming none is a 400."""
    filters = {name: (request.GET.get(name) or "").strip() or None for name in PUBLIC_FILTERS}
    commune = None
    try:
        ratelimit.check(request, "list")  # the same bucket as the API's list and public.geojson
        if filters["commune"]:
            commune = queue.commune_named(filters["commune"])
        qs = queries.public_reports(**filters)
    except UserError as err:
        return error_page(request, err)
    page = _page(request, qs)
    rows = [{"code": r.code, "category": category_name(r.category), "state": state_label(r.state),
             "is_open": r.is_open, "commune": local_name(r.commune) if r.commune_id else "",
             "unit": local_name(r.handling_unit) if r.handling_unit_id else "", "created_at": r.created_at,
             "description": r.description, "synthetic": r.synthetic} for r in page]
    geojson_query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "reports/public_list.html", {
        "page": page, "rows": rows, "categories": category_choices(), "filters": filters,
        "filter_query": _filter_query(request, *PUBLIC_FILTERS),
        "points_url": "/api/v1/reports/public.geojson" + (f"?{geojson_query}" if geojson_query else ""),
        "commune": local_name(commune) if commune is not None else "",
        "without_commune": "?" + urlencode({k: v for k, v in filters.items() if v and k != "commune"}),
        "legend": map_legend(),
        "any_synthetic": any(r["synthetic"] for r in rows), **map_context(),
    })


def public_detail(request, code: str):
    """``/phan-anh/cong-khai/<code>``: one published report as the public sees it."""
    report = _report_or_404(code)
    if not Report.objects.filter(queries.public_q(), pk=report.pk).exists():
        raise Http404(code)
    view = _decorate(privacy.public_view(report))
    return render(request, "reports/public_detail.html", {"report": view, **map_context()})


def _parse_day(value: str, name: str) -> dt.datetime | None:
    day = parse_day(value, name)
    return None if day is None else dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def _shown_day(day: dt.date) -> str:
    """A day as the page's date fields show it (web/datefield.js): 30/11/2026, or 30 Nov 2026 in English."""
    return day.strftime("%d %b %Y") if is_english() else day.strftime("%d/%m/%Y")


def _stats_chart(categories: list[dict]) -> dict:
    """The chart's data (reports/stats.js): received, resolved and resolved on time per category."""
    return {
        "labels": {"received": pgettext("reports received", "Tiếp nhận"), "resolved": _("Đã xử lý"), "on_time": _("Đúng hạn")},
        "rows": [{"name": r["name"], "received": r["received"], "resolved": r["resolved"], "on_time": r["on_time"]}
                 for r in categories if r["received"]],
    }


def statistics(request):
    """``/phan-anh/thong-ke``: figures per unit and per category, with CSV links (kept briefly in the
    shared cache, rate-limited per client: see :mod:`tinhso.reports.public_cache`)."""
    try:
        ratelimit.check(request, "stats")
    except UserError as err:
        return error_page(request, err)
    since_text, until_text = request.GET.get("since", ""), request.GET.get("until", "")
    labels = {"since": _("Từ ngày"), "until": _("Đến ngày")}  # as the page's fields are labelled
    errors, days = {}, {}
    for name, text in (("since", since_text), ("until", until_text)):
        try:
            days[name] = _parse_day(text, labels[name])
        except UserError as err:
            errors[name] = user_message(err)
    since, until = days.get("since"), days.get("until")
    range_error = bool(since and until and until < since)
    if range_error:
        errors["until"] = _("“%(until)s” (%(until_day)s) là trước “%(since)s” (%(since_day)s): ngày kết thúc phải "
                            "cùng hoặc sau ngày bắt đầu.") % {
            "until": labels["until"], "until_day": _shown_day(until.date()),
            "since": labels["since"], "since_day": _shown_day(since.date())}
    until = until + dt.timedelta(days=1) if until else None  # the "until" day is included
    if range_error:
        figures = {"units": [], "categories": [], "names": {}, "unit_names": {},
                   "any_synthetic": False}
    else:
        figures = public_cache.remember("stats-page", (since, until), lambda: {
            "units": stats.unit_stats(since=since, until=until),
            "categories": stats.category_stats(since=since, until=until),
            "names": {code: (vi, en) for code, vi, en in Category.objects.values_list("code", "name_vi", "name_en")},
            "unit_names": {code: (vi, en) for code, vi, en in
                           HandlingUnit.objects.values_list("code", "name", "name_en")},
            "any_synthetic": Report.objects.filter(synthetic=True).exists(),
        })
    units, categories = [dict(r) for r in figures["units"]], [dict(r) for r in figures["categories"]]
    for row in categories:
        if row["key"] in figures["names"]:
            row["name"] = pick(*figures["names"][row["key"]])
    for row in units:  # the statistics (and their CSV) name units in Vietnamese; the page in the reader's language
        if row["key"] in figures.get("unit_names", {}):
            row["name"] = pick(*figures["unit_names"][row["key"]])
    # The busiest first: what a reader looks for, and what the page shows before "show all" (reports/stats.js).
    units.sort(key=lambda r: (-r["received"], -r["overdue_backlog"], r["name"] or ""))
    categories.sort(key=lambda r: (-r["received"], -r["overdue_backlog"], r["name"] or ""))
    query = urlencode({k: v for k, v in (("since", since_text), ("until", until_text)) if v and k not in errors})
    return render(request, "reports/stats.html", {
        "units": units, "categories": categories, "errors": errors, "since": since_text, "until": until_text,
        "range_error": range_error, "chart": _stats_chart(categories), "units_shown": STATS_UNITS_SHOWN,
        "csv_unit": "/api/v1/reports/stats.csv?" + urlencode({"by": "unit"}) + (f"&{query}" if query else ""),
        "csv_category": "/api/v1/reports/stats.csv?" + urlencode({"by": "category"}) + (f"&{query}" if query else ""),
        "any_synthetic": figures["any_synthetic"],
    }, status=400 if errors else 200)


def commune_polygons(request):
    """The installation province's commune polygons (active boundary version), simplified.

    The maps' basemap on a closed network: no external tiles. Cached per boundary version.
    """
    from tinhso.geo import boundaries

    version = boundaries.active_version()
    # "v2": the features carry ``name_en`` too (a body cached before that would lack it).
    key = f"reports:basemap:v2:{settings.PROVINCE_CODE}:{version.pk if version else 0}"
    body = cache.get(key)
    if body is None:
        body = _province_geojson(version)
        cache.set(key, body, BASEMAP_CACHE_SECONDS)
    response = HttpResponse(body, content_type="application/geo+json; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def _province_geojson(version) -> str:
    import shapely

    from tinhso.geo.models import Boundary

    features = []
    if version is not None:
        rows = (Boundary.objects.filter(version=version, unit__province_code=settings.PROVINCE_CODE)
                .values_list("unit__code", "unit__name", "unit__name_en", "wkb").order_by("unit__code"))
        for code, name, name_en, wkb in rows:
            geometry = shapely.simplify(shapely.from_wkb(bytes(wkb)), BASEMAP_TOLERANCE_DEG, preserve_topology=True)
            geometry = shapely.set_precision(geometry, 1e-5)
            if geometry.is_empty:
                continue
            # Both names: the body is cached for every reader; the map labels the reader's (map.js).
            features.append({"type": "Feature", "properties": {"code": code, "name": name, "name_en": name_en},
                             "geometry": json.loads(shapely.to_geojson(geometry))})
    meta = {"version": version.pk if version else None, "quality": version.quality if version else None}
    return json.dumps({"type": "FeatureCollection", "boundary": meta, "features": features},
                      ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------
# Staff: shared


def staff_home(request):
    """After login: the page for the user's role."""
    if not request.user.is_authenticated:
        return redirect(LOGIN_URL)
    from tinhso.ioc.access import PERMISSION as VIEW_WALL

    actor = actor_for_user(request.user)
    if actor.is_operator:
        return redirect("reports-ioc-queue")
    if actor.roles & {HANDLER, SUPERVISOR}:
        return redirect("reports-unit-inbox")
    if request.user.has_perm(VIEW_WALL):  # reads the wall and acts on no report (a leader): the IOC wall
        return redirect("/ioc")
    if LEADER in actor.roles:
        return redirect("reports-unit-inbox")
    if request.user.has_perm("indicators.import_observations"):
        return redirect("/ke-hoach")
    if request.user.has_perm("core.use_admin"):
        return redirect("/admin/")
    return redirect("/")


def _queue_rows(reports) -> list[dict]:
    """The listed reports' cells. A row is overdue exactly when the list counts it so (its group, from
    :func:`tinhso.reports.sla.overdue_q`), so the overdue rows are those the "Quá hạn" count counts."""
    now, policy = timezone.now(), sla.Policy.load()
    rows = []
    for r in reports:
        deadline = sla.deadline_status(r, now, policy)
        if hasattr(r, "grp"):
            late = queue.GROUPS[r.grp] == "overdue"
            deadline = dataclasses.replace(deadline, overdue=late, near_due=deadline.near_due and not late)
        on_time = sla.resolved_on_time(r.state, r.resolved_at, r.handle_due)
        rows.append({"code": r.code, "category": category_name(r.category), "state": r.state,
                     "state_text": state_label(r.state), "commune": local_name(r.commune) if r.commune_id else "",
                     "unit": local_name(r.handling_unit) if r.handling_unit_id else "", "created_at": r.created_at,
                     "due": deadline.due or (r.handle_due if on_time is not None else None),
                     "overdue": deadline.overdue, "near_due": deadline.near_due,
                     "paused": deadline.paused, "severity": severity_label(r.severity), "synthetic": r.synthetic,
                     "description": r.description, "waits": getattr(r, "waits", False),
                     "officer": r.assigned_officer.get_username() if r.assigned_officer_id else "",
                     "info_received": getattr(r, "last_action", "") == "provide_info",
                     "resolved_on_time": on_time, "rating": r.rating})
    return rows


def _run_action(request, actor: Actor, code: str, table: dict, *, detail: Callable, done_url: Callable):
    """Dispatch one POSTed action through ``table``; on a UserError re-render with the input kept."""
    action = request.POST.get("action", "")
    handler = table.get(action)
    report = get_report_for(actor, code)
    if handler is None:
        raise UserError("unknown_action", f"Thao tác không hợp lệ: {action}.", f"Unknown action: {action}.",
                        field="action")
    try:
        note = handler(report, actor, _clean_post(request.POST), request.FILES)
    except UserError as err:
        if err.status == 404:
            raise
        return detail(request, actor, report.code, action_error={"action": action, "field": err.field,
                                                                 "message": user_message(err)},
                      posted=request.POST, status=err.status)
    messages.success(request, note or _("Đã thực hiện: %(action)s.") % {"action": action_label(action)})
    return redirect(done_url(actor, report))


def _clean_post(post) -> dict:
    return {k: nfc(v).strip() for k, v in post.items()}


def _units() -> list[HandlingUnit]:
    """Active handling units by kind, then by the name the reader sees."""
    from tinhso.core.text import fold

    units = HandlingUnit.objects.filter(active=True).order_by("kind", "name")
    return sorted(units, key=lambda u: (u.kind, fold(local_name(u)))) if english_now() else list(units)


def _staff_detail_context(report: Report, view: dict, actor: Actor, action_error, posted) -> dict:
    from tinhso.reports import assignment, replies

    allowed = workflow.allowed_actions(report, actor)
    _decorate(view)
    deadline = view.get("deadline") or {}
    officer = report.assigned_officer if report.assigned_officer_id else None
    return {
        "report": view, "allowed": allowed, "action_labels": {a: action_label(a) for a in allowed},
        "deadline": deadline, "action_error": action_error or {}, "posted": posted or {},
        "units": _unit_options(), **map_context(),
        "officers": [{"username": u.get_username(), "label": assignment.officer_label(u)}
                     for u in assignment.officers_of(report.handling_unit_id)] if "assign_officer" in allowed else [],
        "current_officer": assignment.officer_label(officer) if officer else "",
        "reply_templates": replies.templates_for(report, english=is_english()),
        "supporting": support.supporting(report),
    }


def _assign_officer(report, actor, post, files):
    from tinhso.reports import assignment

    assignment.assign_officer(report, actor, officer=post.get("officer", ""), note=post.get("note", ""))
    return _("Đã giao cho %(officer)s.") % {"officer": post.get("officer", "")}


# ---------------------------------------------------------------------------------------------
# Staff queues (service: reports/queue.py)

BULK_SESSION_KEY = "reports_bulk_results"
QUEUE_COLUMNS = (("code", _lazy("Mã")), ("category", _lazy("Lĩnh vực")), ("commune", _lazy("Xã/phường")),
                 ("unit", _lazy("Đơn vị xử lý")), ("state", _lazy("Trạng thái")), ("deadline", _lazy("Hạn")),
                 ("created", _lazy("Nhận lúc")))
# The exclusive groups of a queue (queue.GROUPS) and the "assigned to me" filter: the tab's label and,
# beside the tabs, what it holds in plain words (per kind of reader: the IOC, a unit's acting staff,
# a unit's reader who acts on nothing).
GROUP_LABELS = {"overdue": _lazy("Quá hạn"), "waiting": _lazy("Chờ bạn xử lý, còn hạn"), "other": _lazy("Còn lại"),
                "mine": _lazy("Giao cho tôi")}
# The "waiting" group as a reader who may not act on the reports (a leader) sees it: it waits for the unit.
WAITING_FOR_UNIT = _lazy("Chờ đơn vị xử lý, còn hạn")
GROUP_HELP = {
    "overdue": _lazy("mọi phản ánh đã quá hạn, kể cả phản ánh đang chờ bạn."),
    "waiting": {queue.IOC: _lazy("chờ IOC (mới, đã xác minh chưa chuyển, bị trả lại, mở lại) và chưa quá hạn."),
                queue.UNIT: _lazy("mới giao cho đơn vị hoặc người dân vừa bổ sung thông tin, chưa quá hạn.")},
    "other": _lazy("các phản ánh khác chưa quá hạn, kể cả phản ánh tạm dừng tính hạn để chờ người dân."),
    "mine": _lazy("phản ánh giao đích danh cho bạn, ở bất kỳ nhóm nào."),
}
OVERDUE_HELP_READ_ONLY = _lazy("mọi phản ánh đã quá hạn, kể cả phản ánh đang chờ đơn vị.")


def _queue_page(request, actor: Actor, kind: str, template: str, base: str):
    params = queue.Params.from_query(request.GET)
    found = queue.staff_queue(actor, kind, params, english=english_now())
    map_view = request.GET.get("view") == "map"
    view = {"view": "map"} if map_view else {}
    choices = _filter_choices(actor, kind, params)
    context = {
        "base": base, "params": params, "q": params.q, "state": params.state, "map_view": map_view,
        "states": [(s.value, state_label(s.value)) for s in State],
        "kind": kind, "groups": _group_links(kind, params, found.counts, found.overdue_waiting, view),
        "all_link": "?" + urlencode({**params.query(group="", mine=""), **view}), "total": found.counts["total"],
        "columns": _sort_columns(params), "sort": params.sort,
        "list_link": "?" + urlencode(params.query()), "map_link": "?" + urlencode({**params.query(), "view": "map"}),
        "csv_link": f"{base}.csv?" + urlencode(params.query()),
        "filter_query": urlencode(params.query()), "back": urlencode({**params.query(), **view}),
        "bulk_results": _bulk_results(request), "units": _unit_options(),
        **choices,
        "active_filters": _active_filters(params, choices, view),
        "clear_link": _clear_link(base, params, view),
    }
    if kind == queue.UNIT:
        context["my_units"] = HandlingUnit.objects.filter(pk__in=actor.unit_ids)
        unit_actor = _unit_actor(actor)
        context["can_act"] = bool(unit_actor.roles)
        if not context["can_act"]:  # nothing waits for a reader who may not act: it waits for the unit
            context["groups"] = _read_only_groups(context["groups"])
        context["officers"] = _officer_options(actor)
        context["bulk_actions"] = [("accept", action_label("accept")), ("assign", action_label("assign_officer"))]
    else:
        context["can_act"] = True
        context["bulk_actions"] = [("verify", action_label("verify")), ("verify_forward", _("Xác minh và chuyển xử lý")),
                                   ("forward", action_label("forward"))]
    if map_view:
        points, cut = queue.map_points(found.reports)
        for point in points:
            point["url"] = f"{base}/{point['code']}"
            point["label"] = state_label(point["state"])
        context.update({"points": points, "points_cut": cut, "max_points": queue.MAX_MAP_POINTS, **map_context()})
    else:
        page = _page(request, found.reports)
        context.update({"page": page, "rows": _queue_rows(page)})
        context["any_synthetic"] = any(r["synthetic"] for r in context["rows"])
    return render(request, template, context)


def _group_links(kind: str, params, counts: dict, overdue_waiting: int = 0, view: dict | None = None) -> list[dict]:
    """The group tabs: each keeps every filter (and the map view), so its count is what it opens, and
    says what it holds (``help``). The groups are exclusive (overdue first, whatever it waits for);
    the overdue tab says how many of its reports wait for the reader (``waiting``)."""
    names = ["mine"] if kind == queue.UNIT else []
    names += list(queue.GROUPS)
    links = []
    for name in names:
        if name == "mine":
            query, active = params.query(mine="1", group=""), params.mine
        else:
            query, active = params.query(group=name, mine=""), params.group == name
        help_text = GROUP_HELP[name]
        links.append({"name": name, "label": GROUP_LABELS[name], "count": counts.get(name, 0),
                      "help": help_text[kind] if isinstance(help_text, dict) else help_text,
                      "url": "?" + urlencode({**query, **(view or {})}), "active": active,
                      "waiting": overdue_waiting if name == "overdue" else 0})
    return links


def _read_only_groups(links: list[dict]) -> list[dict]:
    """The group tabs of a reader who acts on no report: no "assigned to me", "waiting for the unit"."""
    rows = [link for link in links if link["name"] != "mine"]
    for link in rows:
        if link["name"] == "waiting":
            link["label"] = WAITING_FOR_UNIT
        elif link["name"] == "overdue":
            link["help"] = OVERDUE_HELP_READ_ONLY
    return rows


def _named_options(rows) -> list[dict]:
    """Picker options: the code, the name in the reader's language and a folded key on both names and
    the code (a diacritic-insensitive match on either), by the name the reader sees."""
    from tinhso.core.text import fold

    options = [{"code": r.code, "name": local_name(r),
                "fold": fold(" ".join(n for n in (getattr(r, "name_vi", None) or r.name, r.name_en, r.code) if n))}
               for r in rows]
    return sorted(options, key=lambda o: fold(o["name"]))


def _filter_choices(actor: Actor, kind: str, params) -> dict:
    """The filter form's choices in the reader's language: categories, the province's communes and,
    where the reader may see more than one unit's reports, the handling units (a unit's own units;
    every unit for the IOC and province-wide staff). A filter in force always has its option (a unit
    or category no longer active, say), so the form shows what the list is filtered by."""
    categories = [{"code": c.code, "name": local_name(c)} for c in Category.objects.order_by("order", "code")]
    communes = _named_options(queue.commune_units())
    if kind == queue.IOC or actor.province_wide:
        units = _unit_options()
    elif len(actor.unit_ids) > 1:
        units = _named_options(HandlingUnit.objects.filter(pk__in=actor.unit_ids))
    else:
        units = []  # a single unit's own queue: nothing to choose
    if units and params.unit and all(o["code"] != params.unit for o in units):
        units += _named_options(HandlingUnit.objects.filter(code=params.unit))
    return {"filter_categories": categories, "filter_communes": communes, "filter_units": units}


def _clear_link(base: str, params, view: dict) -> str:
    """The queue without any filter (its default: open reports), keeping the sort and the map view."""
    kept = urlencode({k: v for k, v in {"sort": params.sort, **view}.items() if v})
    return f"?{kept}" if kept else base


def _active_filters(params, choices: dict, view: dict) -> list[dict]:
    """The filters in force, each stated in words with a link that removes it (and only it)."""
    def name(options: list[dict], code: str) -> str:
        return next((o["name"] for o in options if o["code"] == code), code)

    def without(*keys: str) -> str:
        return "?" + urlencode({**params.query(**{k: "" for k in keys}), **view})

    rows = []
    if params.state == "all":
        rows.append((_("Trạng thái"), _("tất cả"), ("state",)))
    elif params.state:
        rows.append((_("Trạng thái"), ", ".join(state_label(s.strip()) for s in params.state.split(",")), ("state",)))
    if params.category:
        rows.append((_("Lĩnh vực"), name(choices["filter_categories"], params.category), ("category",)))
    if params.commune:
        rows.append((_("Xã/phường"), name(choices["filter_communes"], params.commune), ("commune",)))
    if params.unit:  # a unit's own queue offers no choice of unit, but names the one asked for
        unit = HandlingUnit.objects.filter(code=params.unit).first()
        rows.append((_("Đơn vị xử lý"), local_name(unit) if unit else params.unit, ("unit",)))
    day = "%d/%m/%Y"
    if params.since and params.until:
        received = (_("từ %(since)s đến %(until)s") % {"since": params.since.strftime(day),
                                                       "until": params.until.strftime(day)}
                    if params.since != params.until else params.since.strftime(day))
        rows.append((_("Ngày nhận"), received, ("since", "until")))
    elif params.since:
        rows.append((_("Ngày nhận"), _("từ %(since)s") % {"since": params.since.strftime(day)}, ("since",)))
    elif params.until:
        rows.append((_("Ngày nhận"), _("đến %(until)s") % {"until": params.until.strftime(day)}, ("until",)))
    if params.overdue_only:
        rows.append((_("Hạn"), _("chỉ quá hạn"), ("overdue",)))
    if params.resolved:
        rows.append((_("Kết quả"), _("đã xử lý xong (đúng hạn hoặc không)"), ("resolved",)))
    if params.rated:
        rows.append((_("Đánh giá"), _("người dân đã đánh giá"), ("rated",)))
    if params.q:
        rows.append((_("Tìm"), f"“{params.q}”", ("q",)))
    return [{"label": label, "value": value, "remove": without(*keys), "keys": " ".join(keys)}
            for label, value, keys in rows]


def _sort_columns(params) -> list[dict]:
    columns = []
    for key, label in QUEUE_COLUMNS:
        current = "ascending" if params.sort == key else "descending" if params.sort == f"-{key}" else ""
        following = f"-{key}" if current == "ascending" else key
        columns.append({"key": key, "label": label, "aria_sort": current,
                        "url": "?" + urlencode(params.query(sort=following))})
    return columns


def _unit_options() -> list[dict]:
    """Units for the searchable picker: the name in the reader's language, and the folded Vietnamese
    and English names with the code (a diacritic-insensitive match on either name)."""
    from tinhso.core.text import fold

    return [{"code": u.code, "name": local_name(u), "fold": fold(" ".join(n for n in (u.name, u.name_en, u.code) if n))}
            for u in _units()]


def _officer_options(actor: Actor) -> list[dict]:
    from tinhso.reports import assignment

    seen, rows = set(), []
    for unit_id in sorted(actor.unit_ids):
        for user in assignment.officers_of(unit_id):
            if user.pk not in seen:
                seen.add(user.pk)
                rows.append({"username": user.get_username(), "label": assignment.officer_label(user)})
    return rows


def _bulk_results(request) -> dict | None:
    results = request.session.pop(BULK_SESSION_KEY, None)
    if not results:
        return None
    for row in results:
        row["message"] = pick(row["message_vi"], row["message_en"])
        if row["ok"] and row.get("state"):
            row["message"] = _("Đã thực hiện; trạng thái: %(state)s.") % {"state": state_label(row["state"])}
    done = sum(1 for r in results if r["ok"])
    return {"rows": results, "done": done, "failed": len(results) - done}


BACK_KEYS = (*queue.FILTER_KEYS, "view", "page")


def _bulk(request, actor: Actor, base: str):
    from urllib.parse import parse_qsl

    back = urlencode([(k, v) for k, v in parse_qsl(request.POST.get("back", "")) if k in BACK_KEYS])
    post = _clean_post(request.POST)
    try:
        results = queue.bulk(actor, post.get("action", ""), request.POST.getlist("codes"), unit=post.get("unit", ""),
                             officer=post.get("officer", ""), note=post.get("note", ""))
    except UserError as err:
        messages.error(request, user_message(err))
    else:
        request.session[BULK_SESSION_KEY] = results
    return redirect(f"{base}?{back}" if back else base)


class _Echo:
    def write(self, value):
        return value


def _queue_csv(request, actor: Actor, kind: str):
    import csv

    from django.http import StreamingHttpResponse

    params = queue.Params.from_query(request.GET)
    found = queue.staff_queue(actor, kind, params)
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in queue.csv_rows(found.reports))
    response = StreamingHttpResponse(_with_bom(rows),
                                     content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="phan-anh-{kind}-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _with_bom(rows):
    yield "\ufeff"  # Excel reads UTF-8 (Vietnamese) only with the byte-order mark
    yield from rows


# ---------------------------------------------------------------------------------------------
# IOC operator


@staff_page(OPERATOR)
def ioc_queue(request, actor: Actor):
    """``/ioc/phan-anh``: the operator's queue — overdue first, then waiting for the IOC, then the rest."""
    return _queue_page(request, actor, queue.IOC, "reports/ioc_queue.html", "/ioc/phan-anh")


@staff_page(OPERATOR)
def ioc_queue_csv(request, actor: Actor):
    """``/ioc/phan-anh.csv``: the filtered queue as CSV (no reporter identity)."""
    return _queue_csv(request, actor, queue.IOC)


@require_POST
@staff_page(OPERATOR)
def ioc_bulk(request, actor: Actor):
    """``/ioc/phan-anh/hang-loat``: verify / forward the selected reports, each on its own."""
    return _bulk(request, actor, "/ioc/phan-anh")


def _ioc_detail(request, actor: Actor, code: str, *, action_error=None, posted=None, status=200):
    report = get_report_for(actor, code)
    _opened(request, report)
    view = privacy.operator_view(report)
    context = _staff_detail_context(report, view, actor, action_error, posted)
    context.update({
        "suggested": duplicates.find_nearby(report, now=timezone.now()) if "merge" in context["allowed"] else [],
        "categories": category_choices(),
        "severities": [(s.value, severity_label(s.value)) for s in Severity],
        "reject_reasons": [(k, pick(*v)) for k, v in REJECT_REASONS.items()],
        "route_hint": _route_hint(report) if {"verify", "forward"} & set(context["allowed"]) else None,
        "contact_erased": _contact_erased(report),
    })
    context["route_label"] = _("Theo quy tắc định tuyến") + (f": {context['route_hint']}" if context["route_hint"] else "")
    return render(request, "reports/ioc_detail.html", context, status=status)


def _contact_erased(report: Report) -> dict | None:
    """When and why the reporter's contact data was last erased (``None``: never), so the page does not
    say they left none."""
    event = (ReportEvent.objects.filter(report=report, action="erase_contact").order_by("-at", "-pk")
             .values("at", "data").first())
    if event is None:
        return None
    return {"at": event["at"], "request": (event["data"] or {}).get("reason") == "request"}


def _route_hint(report: Report) -> str:
    from tinhso.reports import routing

    found = routing.route_report(report)
    return local_name(found.unit) if found.unit else ""


@staff_page(OPERATOR)
def ioc_detail(request, actor: Actor, code: str):
    return _ioc_detail(request, actor, code)


def _opened(request, report: Report) -> None:
    """The reader opened a report they may see (its staff page): their inbox notices about it are read."""
    from tinhso.notify import outbox

    outbox.mark_read_about(request.user, "reports", report.code)


def _unit_name(report: Report) -> str:
    """The report's handling unit in the reader's language (for the confirmation message)."""
    # Read by id: after a transition the report's cached ``handling_unit`` may be the old one.
    return local_name(HandlingUnit.objects.filter(pk=report.handling_unit_id).values("name", "name_en").first())


def _verify(report, actor, post, files):
    triage.verify(report, actor, note=post.get("note", ""), forward_now=post.get("forward_now") == "1",
                  unit_code=post.get("unit") or None)
    if report.state == State.ASSIGNED:
        return _("Đã xác minh và chuyển đến %(unit)s.") % {"unit": _unit_name(report)}
    return _("Đã xác minh.")


def _forward(report, actor, post, files):
    triage.forward(report, actor, unit_code=post.get("unit") or None, note=post.get("note", ""))
    return _("Đã chuyển đến %(unit)s.") % {"unit": _unit_name(report)}


def _reassign(report, actor, post, files):
    if not post.get("unit"):
        raise UserError("unit_required", "Chọn đơn vị nhận phản ánh.", "Choose the unit to send the report to.",
                        field="unit")
    triage.reassign(report, actor, unit_code=post.get("unit", ""), reason=post.get("reason", ""))
    return _("Đã chuyển sang %(unit)s.") % {"unit": _unit_name(report)}


def _reject(report, actor, post, files):
    kind = post.get("reason_kind", "")
    if kind not in REJECT_REASONS:
        raise UserError("reason_kind_required", "Chọn lý do từ chối.", "Choose why the report is rejected.",
                        field="reason_kind")
    if not post.get("reason"):
        raise UserError("reason_required", "Cần ghi lý do từ chối (người dân sẽ thấy).",
                        "Write the reason (the citizen will see it).", field="reason")
    triage.reject(report, actor, reason=post["reason"], kind=kind)
    return _("Đã từ chối phản ánh.")


def _correct(report, actor, post, files):
    category = post.get("category") or None
    severity = post.get("severity") or None
    lat, lon = post.get("lat") or None, post.get("lon") or None
    moved = _moved(lat, lon, report)
    triage.correct(report, actor, note=post.get("note", ""),
                   category=category if category and category != report.category.code else None,
                   severity=severity if severity and severity != report.severity else None,
                   lat=lat if moved else None, lon=lon if moved else None)
    return _("Đã sửa thông tin phản ánh.")


def _moved(lat, lon, report) -> bool:
    """Whether the posted position differs from the stored one (bad numbers: let the service say so)."""
    if lat is None and lon is None:
        return False
    try:
        return (round(float(lat), 6), round(float(lon), 6)) != (round(report.lat, 6), round(report.lon, 6))
    except (TypeError, ValueError):
        return True


def _merge(report, actor, post, files):
    code = post.get("parent", "").upper()
    parent = Report.objects.filter(code=code).first() if code else None
    if parent is None:
        raise UserError("parent_not_found", f"Không tìm thấy phản ánh gốc “{code}”.",
                        f"No report with code {code!r} to merge into.", field="parent")
    duplicates.merge(report, parent, actor, note=post.get("note", ""))
    return _("Đã gộp vào %(code)s.") % {"code": parent.code}


def _transition(action: str, field: str = "note"):
    def run(report, actor, post, files):
        workflow.transition(report, action, actor, note=post.get(field, ""))

    return run


def _erase_contact(report, actor, post, files):
    """A data subject's request, taken by the IOC (hotline, letter, at the desk): the reporter's name,
    phone and e-mail go, and the outbox's copies of the address with them (:mod:`tinhso.reports.retention`).
    Not undoable, so the operator ticks a confirmation first."""
    from tinhso.reports import retention

    if post.get("confirm") != "1":
        raise UserError("confirm_required", "Hãy đánh dấu xác nhận trước khi xóa: việc xóa không hoàn tác được.",
                        "Tick the confirmation first: the erasure cannot be undone.", field="confirm")
    fields = retention.erase_contact(report, reason=retention.REQUEST, actor_label=actor.label, actor_role=OPERATOR)
    if not fields:
        return _("Phản ánh này không còn thông tin liên hệ nào để xóa.")
    return _("Đã xóa thông tin liên hệ của người gửi.")


OPERATOR_ACTIONS: dict[str, Callable] = {
    "verify": _verify,
    "forward": _forward,
    "reassign": _reassign,
    "reject": _reject,
    "correct": _correct,
    "merge": _merge,
    "reopen": _transition("reopen"),
    "close": _transition("close"),
    "assign_officer": _assign_officer,
    "erase_contact": _erase_contact,
}


@require_POST
@staff_page(OPERATOR)
def ioc_action(request, actor: Actor, code: str):
    return _run_action(request, actor, code, OPERATOR_ACTIONS, detail=_ioc_detail,
                       done_url=lambda a, r: f"/ioc/phan-anh/{r.code}")


# ---------------------------------------------------------------------------------------------
# Handling unit


@staff_page(HANDLER, SUPERVISOR, LEADER)
def unit_inbox(request, actor: Actor):
    """``/don-vi/phan-anh``: the unit's reports — assigned to me by name first, then overdue, then newly
    assigned and answered by the citizen, then the rest; a leader reads it too, without actions."""
    return _queue_page(request, actor, queue.UNIT, "reports/unit_inbox.html", "/don-vi/phan-anh")


@staff_page(HANDLER, SUPERVISOR, LEADER)
def unit_inbox_csv(request, actor: Actor):
    """``/don-vi/phan-anh.csv``: the unit's filtered list as CSV (no reporter identity)."""
    return _queue_csv(request, actor, queue.UNIT)


@require_POST
@staff_page(HANDLER, SUPERVISOR)
def unit_bulk(request, actor: Actor):
    """``/don-vi/phan-anh/hang-loat``: accept / assign to an officer the selected reports."""
    return _bulk(request, _unit_actor(actor), "/don-vi/phan-anh")


def _unit_actor(actor: Actor) -> Actor:
    """The unit's pages act in the unit roles only (an operator who is also a handler acts as one here)."""
    return Actor(label=actor.label, roles=actor.roles & {HANDLER, SUPERVISOR}, user=actor.user,
                 unit_ids=actor.unit_ids, province_wide=actor.province_wide)


def _unit_detail(request, actor: Actor, code: str, *, action_error=None, posted=None, status=200):
    report = get_report_for(actor, code)
    _opened(request, report)
    view = privacy.handler_view(report)  # the unit's view: never the reporter's contact data
    unit_actor = _unit_actor(actor)
    context = _staff_detail_context(report, view, unit_actor, action_error, posted)
    return render(request, "reports/unit_detail.html", context, status=status)


@staff_page(HANDLER, SUPERVISOR, LEADER)
def unit_detail(request, actor: Actor, code: str):
    return _unit_detail(request, actor, code)


def _resolve(report, actor, post, files):
    handling.resolve(report, actor, result_text=post.get("result_text", ""), photos=files.getlist("photos"))
    return _("Đã hoàn thành xử lý; người dân sẽ được mời đánh giá.")


def _return(report, actor, post, files):
    handling.return_to_ioc(report, actor, reason=post.get("reason", ""))
    return _("Đã trả lại IOC.")


def _unit_step(service: Callable, argument: str, field: str) -> Callable:
    """An action whose service takes one text argument, read from POST field ``field``."""

    def run(report, actor, post, files):
        service(report, actor, **{argument: post.get(field, "")})

    return run


UNIT_ACTIONS: dict[str, Callable] = {
    "accept": _unit_step(handling.accept, "note", "note"),
    "request_info": _unit_step(handling.request_info, "question", "note"),
    "resume": _unit_step(handling.resume, "note", "note"),
    "respond": _unit_step(handling.respond, "text", "text"),
    "return_to_ioc": _return,
    "resolve": _resolve,
    "assign_officer": _assign_officer,
}


def _unit_done_url(actor: Actor, report: Report) -> str:
    # After returning it to the IOC the report is no longer the unit's: back to the inbox.
    return "/don-vi/phan-anh" if not actor.can_see(report) else f"/don-vi/phan-anh/{report.code}"


@require_POST
@staff_page(HANDLER, SUPERVISOR)
def unit_action(request, actor: Actor, code: str):
    unit_actor = _unit_actor(actor)
    return _run_action(request, unit_actor, code, UNIT_ACTIONS, detail=_unit_detail, done_url=_unit_done_url)
