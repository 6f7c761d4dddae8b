"""The CKAN Action API subset under ``/api/3/action/``, in CKAN's shapes, so CKAN's harvester and the
``ckanapi`` client read this catalogue unchanged: ``{"help", "success", "result"}``, and on error
``{"help", "success": false, "error": {"__type", "message", ...}}`` with CKAN's statuses (404 Not Found
Error, 409 Validation Error, 400 Bad request, 429 here for the rate limit). GET parameters or a JSON
body (POST, what ``ckanapi`` sends) are both accepted."""

from __future__ import annotations

import inspect

from django.db.models import Count, Q
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from tinhso import __version__ as tinhso_version
from tinhso.core import limits
from tinhso.core.errors import UserError
from tinhso.opendata import catalog, throttle
from tinhso.opendata.models import Dataset, DatasetState, Organization, Theme

TYPES = {404: "Not Found Error", 409: "Validation Error", 403: "Authorization Error", 429: "Rate Limit Error",
         400: "Bad request"}


def _help(request, action: str) -> str:
    return request.build_absolute_uri(f"/api/3/action/help_show?name={action}")


def _params(request) -> dict:
    if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded",
                                                             "multipart/form-data"):
        # CKAN also takes an action's parameters as form fields (its clients upload files that way).
        return {key: (request.POST.getlist(key) if key in ("fq_list",) else request.POST.getlist(key)[-1])
                for key in request.POST}
    if request.method == "POST" and request.body:
        data = limits.load_json(request.body, "JSON", field="body", code="invalid_json")
        if not isinstance(data, dict):
            raise UserError("bad_request", "Thân yêu cầu phải là một đối tượng JSON.", "Body must be a JSON object.",
                            status=400)
        return data
    out = {}
    for key in request.GET:
        values = request.GET.getlist(key)
        out[key] = values if key in ("fq_list",) else values[-1]
    return out


def _base(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _package_list(request, p):
    """Return a list of the names of the site's datasets (packages).

    :param limit: if given, the list of datasets will be broken into pages of at most ``limit`` datasets
        per page and only one page will be returned at a time (optional)
    :type limit: int
    :param offset: when ``limit`` is given, the offset to start returning packages from
    :type offset: int
    :rtype: list of strings"""
    # As CKAN: limit and offset are natural numbers with no maximum; no limit (or 0) lists every name.
    limit = catalog.int_param(p.get("limit"), "limit", None)
    offset = catalog.int_param(p.get("offset"), "offset", 0)
    names = Dataset.objects.filter(state=DatasetState.PUBLISHED).order_by("name").values_list("name", flat=True)
    return list(names[offset:offset + limit] if limit else names[offset:])


def _package_show(request, p):
    """Return the metadata of a dataset (package) and its resources.

    :param id: the id or name of the dataset
    :type id: string
    :rtype: dictionary"""
    ref = str(p.get("id") or p.get("name_or_id") or "")
    if not ref:
        raise UserError("validation", "Thiếu id", "Missing value", field="id", status=409,
                        details={"id": ["Missing value"]})
    return catalog.package_dict(catalog.get_public(ref), _base(request))


def _package_search(request, p):
    """Searches for packages satisfying a given search criteria.

    :param q: the search query, e.g. ``y te`` or ``tags:"y tế"`` (optional, default ``*:*``)
    :type q: string
    :param fq: a filter query: ``organization:``, ``groups:``, ``tags:``, ``res_format:``, ``license_id:``,
        ``metadata_modified:[X TO Y]`` … (optional)
    :type fq: string
    :param fq_list: additional filter queries (optional)
    :type fq_list: list of strings
    :param sort: e.g. ``metadata_modified desc``, ``name asc`` (optional)
    :type sort: string
    :param rows: the maximum number of matching rows to return, at most 1000 (optional, default 10)
    :type rows: int
    :param start: the offset in the complete result (optional)
    :type start: int
    :param facet.field: the fields to facet upon, as a JSON list (optional)
    :type facet.field: list of strings
    :returns: ``count``, ``results``, ``facets``, ``search_facets``, ``sort``
    :rtype: dictionary"""
    return catalog.search(p, _base(request))


def _counts():
    return dict(Organization.objects.annotate(n=Count("datasets", filter=Q(datasets__state=DatasetState.PUBLISHED)))
                .values_list("name", "n"))


def _all_fields(p) -> bool:
    return str(p.get("all_fields", "")).lower() in ("1", "true", "yes")


def _organization_list(request, p):
    """Return a list of the names of the site's organizations.

    :param all_fields: return group dictionaries instead of just names (optional, default False)
    :type all_fields: bool
    :rtype: list of strings"""
    counts = _counts()
    orgs = Organization.objects.order_by("name")
    if _all_fields(p):
        return [catalog.organization_dict(o, counts.get(o.name, 0)) for o in orgs]
    return [o.name for o in orgs]


def _organization_show(request, p):
    """Return the details of an organization.

    :param id: the id or name of the organization
    :type id: string
    :param include_datasets: include a truncated list of the organization's datasets (optional)
    :type include_datasets: bool
    :rtype: dictionary"""
    ref = str(p.get("id") or "")
    org = Organization.objects.filter(name=ref).first()
    if org is None and catalog._is_uuid(ref):
        org = Organization.objects.filter(id=ref).first()
    if org is None:
        raise UserError("not_found", "Không tìm thấy đơn vị.", "Organization not found.", field="id", status=404)
    counts = _counts()
    out = catalog.organization_dict(org, counts.get(org.name, 0))
    if str(p.get("include_datasets", "")).lower() in ("1", "true"):
        out["packages"] = [catalog.package_dict(d, _base(request)) for d in
                           catalog.public_datasets().filter(publisher=org).order_by("name")[:1000]]
    return out


def _group_list(request, p):
    """Return a list of the names of the site's groups (data themes).

    :param all_fields: return group dictionaries instead of just names (optional, default False)
    :type all_fields: bool
    :rtype: list of strings"""
    used = set(Dataset.objects.filter(state=DatasetState.PUBLISHED).values_list("theme", flat=True))
    themes = [t for t in Theme.values if t in used]
    if _all_fields(p):
        counts = dict(Dataset.objects.filter(state=DatasetState.PUBLISHED).values_list("theme")
                      .annotate(n=Count("id")))
        return [{**catalog.group_dict(t), "package_count": counts.get(t, 0)} for t in themes]
    return [t.lower() for t in themes]


def _status_show(request, p):
    """Return a dictionary with information about the site's configuration.

    :rtype: dictionary"""
    return {"site_title": "Cổng dữ liệu mở — tinhso", "site_url": _base(request), "site_description": "",
            "error_emails_to": None, "locale_default": "vi", "ckan_version": "2.10.0",
            "tinhso_version": tinhso_version, "extensions": ["dcat"]}


def _help_show(request, p):
    """Return the help string for a particular API action.

    :param name: Action function name (e.g. ``package_search``)
    :type name: string
    :returns: the action's help text
    :rtype: string"""
    name = str(p.get("name") or "")
    if not name:
        raise UserError("validation", "Thiếu name", "Missing value", field="name", status=409,
                        details={"name": ["Missing value"]})
    handler = ACTIONS.get(name)
    if handler is None:
        raise UserError("not_found", f"Không có hành động {name!r}.", f"Action function not found: {name}",
                        field="name", status=404)
    return inspect.cleandoc(handler.__doc__ or "")


ACTIONS = {"package_list": _package_list, "package_show": _package_show, "package_search": _package_search,
           "organization_list": _organization_list, "organization_show": _organization_show,
           "group_list": _group_list, "status_show": _status_show, "help_show": _help_show}


def _error(request, action: str, err: UserError) -> JsonResponse:
    status = err.status if err.status in TYPES else 400
    message = err.message_en if err.message_en == err.message_vi else f"{err.message_en} / {err.message_vi}"
    error = {"__type": TYPES[status], "message": message}
    if status == 409 and isinstance(err.details, dict):
        error.update(err.details)
    body = {"help": _help(request, action), "success": False, "error": error}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 429 and isinstance(err.details, dict):
        response["Retry-After"] = str(err.details.get("retry_after", 60))
    return response


@csrf_exempt
def action(request, name: str):
    if request.method not in ("GET", "POST"):
        return _error(request, name, UserError("bad_request", "Chỉ GET hoặc POST.", "Only GET or POST.", status=400))
    handler = ACTIONS.get(name)
    try:
        throttle.check(request, "api")
        if handler is None:
            raise UserError("not_found", f"Không có hành động {name!r}.", f"Action name not known: {name}",
                            status=400)
        result = handler(request, _params(request))
    except UserError as err:
        return _error(request, name, err)
    return JsonResponse({"help": _help(request, name), "success": True, "result": result}, safe=False,
                        json_dumps_params={"ensure_ascii": False})
