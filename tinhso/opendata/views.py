"""The portal's pages at ``/du-lieu-mo`` (search, dataset page with a preview and a chart, downloads,
the shared-database catalogue and the open-data plan, the upload form and the review queue) and the DCAT
documents. Thin: the services are catalog, publishing, upload, dcat."""

from __future__ import annotations

import base64
import re

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from tinhso.core.errors import UserError
from tinhso.core.i18n import english_now, in_language
from tinhso.core.text import fold
from tinhso.opendata import catalog, dcat, preview, publishing, staged, storage, throttle, upload, versions
from tinhso.opendata.models import (
    Dataset,
    DatasetState,
    DatasetVersion,
    Format,
    Frequency,
    Organization,
    PlanItem,
    SharedDatabase,
    Theme,
    VersionState,
)

RESERVED = {"danh-muc", "dang-tai", "duyet"}


_english = english_now  # tinhso.core.i18n


def _limited(request, door: str):
    try:
        throttle.check(request, door)
    except UserError as err:
        response = HttpResponse(f"{err.message_vi}\n{err.message_en}\n", status=429, content_type="text/plain")
        response["Retry-After"] = str(err.details.get("retry_after", 60))
        return response
    return None


def _label(choice_label) -> str:
    return in_language(choice_label, "en" if _english() else "vi")


def dataset_list(request):
    if (limited := _limited(request, "page")):
        return limited
    qs = catalog.apply_q(catalog.public_datasets(), request.GET.get("q", ""))
    theme, publisher, fmt = request.GET.get("chu-de", ""), request.GET.get("don-vi", ""), request.GET.get("dinh-dang", "")
    if theme in Theme.values:
        qs = qs.filter(theme=theme)
    if publisher:
        qs = qs.filter(publisher__name=publisher)
    if fmt in Format.values:
        qs = qs.filter(distributions__format=fmt).distinct()
    page = Paginator(qs.order_by("-metadata_modified", "name"), 20).get_page(request.GET.get("trang"))
    english = _english()
    return render(request, "opendata/list.html", {
        "page": page, "q": request.GET.get("q", ""), "theme": theme, "publisher": publisher, "fmt": fmt,
        "themes": [(c, _label(lbl)) for c, lbl in Theme.choices],
        "publishers": Organization.objects.filter(datasets__state=DatasetState.PUBLISHED).distinct(),
        "formats": Format.choices, "english": english,
    })


def _can_review(user) -> bool:
    return user.is_authenticated and user.has_perm("opendata.approve_dataset")


def _visible(request, name: str) -> Dataset:
    ds = Dataset.objects.select_related("publisher").filter(name=name).first()
    if ds is None:
        raise Http404
    if ds.state != DatasetState.PUBLISHED and not (
            _can_review(request.user) or (request.user.is_authenticated and ds.created_by_id == request.user.pk)):
        raise Http404
    return ds


EVENT_ACTIONS = {"submitted": pgettext_lazy("dataset event", "Gửi duyệt"),
                 "approved": pgettext_lazy("dataset event", "Duyệt"),
                 "published": pgettext_lazy("dataset event", "Công bố"),
                 "refreshed": pgettext_lazy("dataset event", "Cập nhật số liệu"),
                 "returned": pgettext_lazy("dataset event", "Trả lại"),
                 "withdrawn": pgettext_lazy("dataset event", "Rút lại"),
                 "republished": pgettext_lazy("dataset event", "Công bố lại"),
                 versions.SUBMITTED: pgettext_lazy("dataset event", "Gửi duyệt phiên bản %(n)s"),
                 versions.RETURNED: pgettext_lazy("dataset event", "Trả lại phiên bản %(n)s"),
                 versions.PUBLISHED: pgettext_lazy("dataset event", "Công bố phiên bản %(n)s")}
_ROWS_NOTE = re.compile(r"^(\d+) rows$")


def _state_label(code: str) -> str:
    return str(DatasetState(code).label) if code in DatasetState.values else code


def history(ds: Dataset) -> list[dict]:
    """The dataset's events in the page's language: action and states by name; the system's own note
    ("136 rows") translated, an approver's reason shown as written."""
    out = []
    for e in ds.events.order_by("at", "id"):
        m = _ROWS_NOTE.match(e.note or "")
        note = ngettext("%(n)s dòng", "%(n)s dòng", int(m.group(1))) % {"n": m.group(1)} if m else e.note
        action = str(EVENT_ACTIONS.get(e.action, e.action))
        out.append({"at": e.at, "action": action % {"n": e.version} if e.version else action,
                    "from_state": _state_label(e.from_state) if e.from_state else "",
                    "to_state": _state_label(e.to_state), "actor": e.actor_name, "note": note,
                    "reason": bool(note) and not m and e.action not in (versions.SUBMITTED, versions.PUBLISHED),
                    "version": e.version})
    return out


def _version_context(request, ds: Dataset) -> dict:
    """The dataset page's versions: the upload form for its publishers, the pending version for them and
    the approvers, and every published version with its files (the current ones, then the previous)."""
    user = request.user
    waiting = versions.pending(ds) if versions.may_see_pending(user, ds) else None
    last = ds.events.filter(action__in=(versions.SUBMITTED, versions.RETURNED, versions.PUBLISHED)) \
        .order_by("at", "id").last() if versions.may_see_pending(user, ds) else None
    returned = last if last is not None and last.action == versions.RETURNED else None
    shown = [v for v in ds.versions.filter(state__in=(VersionState.CURRENT, VersionState.PREVIOUS))
             .select_related("submitted_by").order_by("-number")]
    return {"can_upload_version": versions.can_submit(user, ds) and not ds.versions.filter(
                state=VersionState.PENDING).exists(),
            "pending_version": waiting,
            "can_decide_version": waiting is not None and _can_review(user) and waiting.submitted_by_id != user.pk,
            "versions": shown if len(shown) > 1 else [], "returned_version": returned,
            "version_columns": [{"name": f.get("name", ""), "title": f.get("title", ""),
                                 "type": str(VERSION_TYPE_LABELS.get(f.get("type")) or TYPE_LABELS.get(f.get("type"), f.get("type")))}
                                for f in (ds.table_schema or {}).get("fields", [])]}


def _detail_context(request, ds: Dataset, extra=None) -> dict:
    data = preview.preview(ds)
    reviewer = _can_review(request.user)
    return {
        **_version_context(request, ds), "ds": ds, "preview": data, "chart": data["chart"], "english": _english(),
        "licence_url": catalog.LICENCES.get(ds.licence, ("", ""))[1],
        "theme_label": _label(Theme(ds.theme).label), "frequency_label": _label(Frequency(ds.frequency).label),
        "distributions": ds.distributions.all(), "events": history(ds),
        "can_approve": ds.state == DatasetState.DRAFT and reviewer and ds.created_by_id != request.user.pk,
        "can_withdraw": ds.state == DatasetState.PUBLISHED and reviewer,
        "can_republish": ds.state == DatasetState.WITHDRAWN and reviewer and ds.created_by_id != request.user.pk,
        "returned_reason": ds.events.filter(action="returned").order_by("at", "id").values_list("note", flat=True)
                           .last() if ds.state == DatasetState.RETURNED else "", **(extra or {}),
    }


def dataset_detail(request, name: str):
    if (limited := _limited(request, "page")):
        return limited
    ds = _visible(request, name)
    return render(request, "opendata/detail.html", _detail_context(request, ds))


def download(request, name: str, file_name: str):
    if (limited := _limited(request, "download")):
        return limited
    ds = _visible(request, name)
    dist = ds.distributions.filter(file_name=file_name).first()
    if dist is None:
        raise Http404
    path = storage.file_path(ds.name, dist.file_name)
    if not path.exists():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=dist.media_type, as_attachment=True, filename=dist.file_name)
    # RFC 3230 / RFC 5843: the base64 of the raw digest (the page and the API keep the hex form).
    response["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(dist.sha256)).decode("ascii")
    return response


def version_download(request, name: str, number: int, file_name: str):
    """A file of one version: a previous one (for anyone who sees the dataset) or the pending one (for
    approvers and the organisation's publishers)."""
    if (limited := _limited(request, "download")):
        return limited
    ds = _visible(request, name)
    found = versions.file_of(ds, number, file_name, request.user)
    if found is None:
        raise Http404
    entry, path = found
    response = FileResponse(path.open("rb"), content_type=entry["media_type"], as_attachment=True,
                            filename=f"v{number}-{entry['file_name']}")
    response["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(entry["sha256"])).decode("ascii")
    return response


@require_POST
@login_required(login_url="/dang-nhap")
def new_version(request, name: str):
    """A publisher of the dataset's organisation uploads its next version (checked, then pending)."""
    if not request.user.has_perm("opendata.publish_dataset"):
        return render(request, "opendata/forbidden.html", status=403)
    ds = Dataset.objects.select_related("publisher").filter(name=name).first()
    if ds is None:
        raise Http404
    if not publishing.can_publish_for(request.user, ds.publisher):
        return render(request, "opendata/forbidden.html", status=403)
    try:
        file = request.FILES.get("file")
        if file is None:
            raise UserError("no_file", "Chưa chọn tệp.", "No file chosen.", field="file")
        versions.submit(request.user, ds, file.read(), file.name, request.POST.get("version_note", ""))
    except UserError as err:
        if err.status == 403:
            return render(request, "opendata/forbidden.html", {"error": err}, status=err.status)
        rows = err.details if isinstance(err.details, list) else []
        rows = upload.titled_columns(rows, (ds.table_schema or {}).get("fields", []))
        return render(request, "opendata/detail.html", _detail_context(
            request, ds, {"version_error": err, "row_errors": rows, "form": request.POST}), status=err.status)
    return redirect("opendata:dataset", name=ds.name)


def _pending_or_refusal(ds: Dataset):
    waiting = versions.pending(ds)
    if waiting is None:
        raise UserError("version_not_pending", "Không có phiên bản mới nào chờ duyệt.",
                        "No new version is waiting for approval.", status=409)
    return waiting


@require_POST
@login_required(login_url="/dang-nhap")
def approve_version(request, name: str):
    return _decide(request, name, lambda ds: versions.approve(_pending_or_refusal(ds), request.user))


@require_POST
@login_required(login_url="/dang-nhap")
def reject_version(request, name: str):
    return _decide(request, name, lambda ds: versions.reject(_pending_or_refusal(ds), request.user,
                                                             request.POST.get("reason", "")))


def catalogue(request):
    """The shared-database catalogue and the open-data plan (late items flagged)."""
    if (limited := _limited(request, "page")):
        return limited
    today = timezone.localdate()
    items = [{"item": p, "late": p.is_late(today), "published": p.published}
             for p in PlanItem.objects.select_related("organization", "dataset")]
    return render(request, "opendata/catalogue.html", {
        "databases": SharedDatabase.objects.select_related("owner", "dataset"), "items": items,
        "late": sum(1 for i in items if i["late"]), "english": _english(), "today": today})


def spatial_units():
    """The areas an upload may cover: the province, then its current communes (geo registry)."""
    from django.conf import settings

    from tinhso.geo.models import Unit

    units = Unit.objects.filter(structure="current", province_code=settings.PROVINCE_CODE,
                                level__in=("province", "commune")).only("code", "name", "name_en", "level")
    return sorted(units, key=lambda u: (u.level != "province", fold(u.name)))


def _upload_context(request, extra=None):
    from django.conf import settings

    orgs = Organization.objects.filter(members=request.user).order_by("name")
    form = request.POST if request.method == "POST" else {"licence": catalog.DEFAULT_LICENCE,
                                                            "spatial_code": settings.PROVINCE_CODE}
    return {"orgs": orgs, "themes": [(c, _label(lbl)) for c, lbl in Theme.choices],
            "frequencies": [(c, _label(lbl)) for c, lbl in Frequency.choices],
            "licences": [(code, title) for code, (title, _url) in catalog.LICENCES.items()],
            "units": spatial_units(), "form": form, **(extra or {})}


TYPE_LABELS = {"string": pgettext_lazy("field type", "Văn bản"), "integer": pgettext_lazy("field type", "Số nguyên"),
               "number": pgettext_lazy("field type", "Số (có thể có phần thập phân)"),
               "boolean": pgettext_lazy("field type", "Đúng/sai (true/false)"),
               "date": pgettext_lazy("field type", "Ngày (yyyy-mm-dd)"),
               "date-dmy": pgettext_lazy("field type", "Ngày (dd/mm/yyyy)"),
               "year": pgettext_lazy("field type", "Năm"), "yearmonth": pgettext_lazy("field type", "Năm-tháng (yyyy-mm)")}
# A new version's date column is read as yyyy-mm-dd or dd/mm/yyyy (upload.published_schema).
VERSION_TYPE_LABELS = {"date": pgettext_lazy("field type", "Ngày (yyyy-mm-dd hoặc dd/mm/yyyy)")}
TITLE_MAX, DESCRIPTION_MAX = 200, 1000


def _chosen_fields(data, inferred: dict, reviewing: bool) -> list[dict]:
    """The inferred fields, with the clerk's title, type, description and required mark when the schema
    step was posted."""
    out = []
    for i, f in enumerate(inferred["fields"]):
        field = {**f, "index": i, "inferred_type": f["type"], "description": "", "required": False}
        if reviewing:
            field["title"] = (data.get(f"title_{i}") or "").strip()[:TITLE_MAX] or f["title"]
            field["type"] = data.get(f"type_{i}") or f["type"]
            field["description"] = (data.get(f"description_{i}") or "").strip()[:DESCRIPTION_MAX]
            field["required"] = data.get(f"required_{i}") == "1"
        field["type_label"] = str(TYPE_LABELS.get(field["inferred_type"], field["inferred_type"]))
        out.append(field)
    return out


def _file_in(request) -> tuple[bytes, str, str]:
    """The file posted (a new one wins) or kept from the first step: content, name, staging token."""
    file = request.FILES.get("file")
    if file is not None:
        staged.drop(request.user, request.POST.get("staged", ""))  # another file replaces the one kept
        return file.read(), file.name, ""
    token = request.POST.get("staged", "")
    if token:
        content, name = staged.load(request.user, token)
        return content, name, token
    raise UserError("no_file", "Chưa chọn tệp.", "No file chosen.", field="file")


def _submit(request, content: bytes, filename: str, schema, expected_header=None):
    org = Organization.objects.filter(name=request.POST.get("organization", "")).first()
    if org is None:
        raise UserError("bad_organization", "Chọn đơn vị.", "Choose an organisation.", field="organization")
    meta = upload_meta(request.POST)
    table = upload.validate(content, filename, schema, meta["name"], expected_header=expected_header)
    return publishing.submit_upload(request.user, org, meta, table)


@login_required(login_url="/dang-nhap")
def upload_form(request):
    """Two steps, both server-rendered: the metadata and the file (the schema is inferred from it, unless
    a Table Schema is pasted under "Nâng cao"), then the inferred fields, which the clerk may retitle,
    retype, describe and mark required before sending the draft to an approver."""
    if not request.user.has_perm("opendata.publish_dataset"):
        return render(request, "opendata/forbidden.html", status=403)
    if request.method != "POST":
        return render(request, "opendata/upload.html", _upload_context(request))
    step: dict = {}
    try:
        content, filename, token = _file_in(request)
        pasted = (request.POST.get("table_schema") or "").strip()
        if pasted:
            ds = _submit(request, content, filename, pasted)
            staged.drop(request.user, token)
            return redirect("opendata:dataset", name=ds.name)
        inferred = upload.infer(content, filename)
        reviewing = bool(token) and request.POST.get("step") == "schema"
        fields = _chosen_fields(request.POST, inferred, reviewing)
        if not token:  # a file's rows must hold together (no short or long row) before it is kept
            upload.validate(content, filename, upload.schema_from_choices(fields), "file",
                            expected_header=inferred["header"])
            token = staged.keep(request.user, content, filename)
        step = {"staged": token, "filename": filename, "row_count": inferred["rows"], "fields": fields,
                "type_choices": [(code, str(label)) for code, label in TYPE_LABELS.items()]}
        if not reviewing:
            return render(request, "opendata/upload.html", _upload_context(request, step))
        ds = _submit(request, content, filename, upload.schema_from_choices(fields),
                     expected_header=inferred["header"])
        staged.drop(request.user, token)
    except UserError as err:
        # Only a table's row errors are a list; a limit's details (a dict: the limit's key and value) are not.
        rows = err.details if isinstance(err.details, list) else []
        if step.get("fields"):
            rows = upload.titled_columns(rows, step["fields"])
        return render(request, "opendata/upload.html",
                      _upload_context(request, {**step, "error": err, "row_errors": rows}), status=err.status)
    return redirect("opendata:dataset", name=ds.name)


def upload_meta(data) -> dict:
    title = (data.get("title_vi") or "").strip()
    name = slugify(fold(data.get("name") or title))[:100].strip("-")
    missing = [f for f in ("title_vi", "description_vi", "contact_email") if not (data.get(f) or "").strip()]
    if missing or not name:
        raise UserError("missing_fields", f"Thiếu: {', '.join(missing or ['name'])}",
                        f"Missing: {', '.join(missing or ['name'])}", field=(missing or ["name"])[0])
    if name in RESERVED:
        raise UserError("name_reserved", f"Tên {name!r} đã dành riêng.", f"The name {name!r} is reserved.", field="name")
    theme, frequency = data.get("theme", ""), data.get("frequency", "IRREG")
    if theme not in Theme.values:
        raise UserError("bad_theme", "Chủ đề không hợp lệ.", "Unknown theme.", field="theme")
    if frequency not in Frequency.values:
        raise UserError("bad_frequency", "Tần suất không hợp lệ.", "Unknown frequency.", field="frequency")
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(data["contact_email"].strip())
    except ValidationError:
        raise UserError("bad_email", "Email liên hệ không hợp lệ.", "Invalid contact email.",
                        field="contact_email") from None
    licence = data.get("licence") or catalog.DEFAULT_LICENCE
    if licence not in catalog.LICENCES:
        raise UserError("bad_licence", f"Giấy phép {licence!r} không hỗ trợ ({', '.join(catalog.LICENCES)}).",
                        f"Licence {licence!r} not supported ({', '.join(catalog.LICENCES)}).", field="licence")
    start, end = _day(data, "temporal_start"), _day(data, "temporal_end")
    if start and end and start > end:
        raise UserError("bad_temporal", "Ngày bắt đầu của phạm vi thời gian sau ngày kết thúc.",
                        "The temporal coverage starts after it ends.", field="temporal_start")
    spatial, spatial_code = _area(data.get("spatial_code") or "")
    return {"name": name, "title_vi": title[:300], "title_en": (data.get("title_en") or "").strip()[:300],
            "licence": licence, "temporal_start": start, "temporal_end": end, "spatial": spatial,
            "spatial_code": spatial_code,
            "description_vi": data["description_vi"].strip(), "description_en": (data.get("description_en") or "").strip(),
            "theme": theme, "frequency": frequency, "contact_email": data["contact_email"].strip(),
            "contact_name": (data.get("contact_name") or "").strip()[:200],
            "keywords": [k.strip() for k in (data.get("keywords") or "").split(",") if k.strip()][:20]}


def _day(data, field: str):
    import datetime as dt

    text = (data.get(field) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError("bad_date", f"{field}: ngày {text!r} không hợp lệ (YYYY-MM-DD).",
                        f"{field}: {text!r} is not a valid date (YYYY-MM-DD).", field=field) from None


def _area(code: str) -> tuple[str, str]:
    """The covered area's name and unit code; the province when none is chosen."""
    from django.conf import settings

    code = code.strip() or settings.PROVINCE_CODE
    unit = next((u for u in spatial_units() if u.code == code), None)
    if unit is None:
        if code == settings.PROVINCE_CODE:  # no registry loaded: the province's code alone
            return code, code
        raise UserError("bad_spatial", f"Không có đơn vị hành chính mã {code!r} trong tỉnh.",
                        f"No administrative unit {code!r} in the province.", field="spatial_code")
    return unit.name, unit.code


@login_required(login_url="/dang-nhap")
def review_queue(request):
    if not _can_review(request.user):
        return render(request, "opendata/forbidden.html", status=403)
    drafts = Dataset.objects.filter(state=DatasetState.DRAFT).select_related("publisher", "created_by")
    waiting = DatasetVersion.objects.filter(state=VersionState.PENDING).select_related(
        "dataset", "dataset__publisher", "submitted_by").order_by("submitted_at")
    return render(request, "opendata/review.html", {"drafts": drafts, "pending_versions": waiting})


def _decide(request, name: str, act):
    """Run ``act(ds)`` (approve, return, withdraw, republish) for an approver; a refusal is shown on the dataset page."""
    if not _can_review(request.user):
        return render(request, "opendata/forbidden.html", status=403)
    ds = Dataset.objects.select_related("publisher").filter(name=name).first()
    if ds is None:
        raise Http404
    try:
        act(ds)
    except UserError as err:
        if err.status == 403:
            return render(request, "opendata/forbidden.html", {"error": err}, status=err.status)
        ds.refresh_from_db()
        return render(request, "opendata/detail.html",
                      _detail_context(request, ds, {"error": err, "form": request.POST}), status=err.status)
    return redirect("opendata:dataset", name=ds.name)


@require_POST
@login_required(login_url="/dang-nhap")
def approve(request, name: str):
    return _decide(request, name, lambda ds: publishing.approve(ds, request.user))


@require_POST
@login_required(login_url="/dang-nhap")
def reject(request, name: str):
    return _decide(request, name, lambda ds: publishing.reject(ds, request.user, request.POST.get("reason", "")))


@require_POST
@login_required(login_url="/dang-nhap")
def withdraw(request, name: str):
    return _decide(request, name, lambda ds: publishing.withdraw(ds, request.user, request.POST.get("reason", "")))


@require_POST
@login_required(login_url="/dang-nhap")
def republish(request, name: str):
    return _decide(request, name, lambda ds: publishing.republish(ds, request.user, request.POST.get("reason", "")))


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def catalog_rdf(request, fmt: str):
    if (limited := _limited(request, "dcat")):
        return limited
    if fmt not in dcat.FORMATS:
        raise Http404
    data, media_type = dcat.serialise(_base(request), fmt)
    return HttpResponse(data, content_type=f"{media_type}; charset=utf-8")


def data_json(request):
    if (limited := _limited(request, "dcat")):
        return limited
    return JsonResponse(dcat.data_json(_base(request)), json_dumps_params={"ensure_ascii": False})
