"""Every URL pattern and every API route, as every role, against the matrix in docs/security.md.

The routes are enumerated from the URL resolver and from the NinjaAPI's OpenAPI schema, so a route
added later without a row in the matrix fails :func:`test_matrix_covers_every_route`; a row whose
route no longer exists fails it too. The matrix is parsed from the "Roles and permissions" section
of ``docs/security.md``, so the documentation and the behaviour cannot drift apart.

Each request runs in a savepoint that is rolled back (and the cache is cleared), so one role's
POST never changes what the next role sees.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.accounts import role_user
from tests.reports.conftest import boundaries_ready  # noqa: F401 (session fixture: approximate boundaries)
from tests.reports.factories import make_report

pytestmark = [pytest.mark.once, pytest.mark.pg_pass]  # one pass of make test only (CI time): the PostgreSQL one

DOC = Path(__file__).resolve().parent.parent / "docs" / "security.md"
SECTION = "## Roles and permissions"
ROLES = ("anonymous", "operator", "handler", "supervisor", "planner", "leader", "administrator")
OUTCOMES = {"ok", "403", "404", "login"}
LOGIN_PATHS = ("/dang-nhap", "/admin/login/")


# --- the matrix ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    method: str
    route: str
    example: str
    body: dict
    expected: dict[str, str]


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parse_matrix(text: str | None = None) -> list[Row]:
    """The route × role table of the "Roles and permissions" section (header ``| Method | Route | Example | …``)."""
    text = DOC.read_text(encoding="utf-8") if text is None else text
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start:end if end != -1 else None]
    lines = section.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("| Method | Route | Example |"))
    header = _cells(lines[header_at])
    assert tuple(header[3:]) == ROLES, f"matrix columns {header[3:]} ≠ {ROLES}"
    rows = []
    for line in lines[header_at + 2:]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(header), f"matrix row has {len(cells)} cells: {line}"
        method, route, example = cells[0], cells[1].strip("`"), cells[2]
        path = re.search(r"`([^`]+)`", example).group(1)
        body = re.search(r"\(([^)]*)\)\s*$", example)
        outcomes = {role: cell.strip("*` ") for role, cell in zip(ROLES, cells[3:], strict=True)}
        bad = {r: o for r, o in outcomes.items() if o not in OUTCOMES}
        assert not bad, f"unknown outcome in {line}: {bad}"
        rows.append(Row(method, route, path, dict(parse_qsl(body.group(1))) if body else {}, outcomes))
    assert rows, "the matrix has no rows"
    return rows


# --- the routes ---------------------------------------------------------------------------------------

def _normalise(pattern: str) -> str:
    """A resolver pattern in the matrix's notation: ``^phan-anh/(?P<code>…)/anh$`` → ``phan-anh/<code>/anh``."""
    out, i = [], 0
    text = pattern.replace("/^", "/").lstrip("^").removesuffix("$")
    while i < len(text):
        if text.startswith("(?P<", i):
            name = text[i + 4:text.index(">", i)]
            depth, j = 0, i
            while True:  # skip to the matching parenthesis
                if text[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append(f"<{name}>")
            i = j
        elif text.startswith("(?:", i):
            out.append("[")
            i += 3
        elif text.startswith(")?", i):
            out.append("]")
            i += 2
        elif text[i] == "\\":
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "/" + re.sub(r"<\w+:(\w+)>", r"<\1>", "".join(out))


def _walk(patterns, prefix: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


@functools.cache
def openapi() -> dict:
    from tinhso.api import api

    return api.get_openapi_schema()


def api_routes() -> set[tuple[str, str]]:
    """(METHOD, /api/v1/path/{param}) of every operation in the OpenAPI schema."""
    return {(method.upper(), path) for path, ops in openapi()["paths"].items() for method in ops}


def required_routes() -> tuple[set[str], set[tuple[str, str]]]:
    """Page routes (any method) and API operations the matrix must cover.

    API patterns of the resolver are the OpenAPI operations (listed per method instead). In the
    admin, each registered model's pages (list, add, change, delete, history) are one family
    governed by that model's permissions: the model's list stands for it.
    """
    from django.contrib import admin

    api = api_routes()
    api_paths = {re.sub(r"\{(\w+)\}", r"<\1>", path) for _, path in api}
    models = {f"/admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin.site._registry}
    pages = set()
    for pattern in _walk(get_resolver().url_patterns):
        route = _normalise(pattern)
        if route in api_paths:
            continue
        family = next((m for m in models if route.startswith(m)), None)
        pages.add(family or route)
    return pages, api


def test_matrix_covers_every_route():
    rows = parse_matrix()
    pages, api = required_routes()
    page_rows = {r.route for r in rows if not r.route.startswith("/api/v1/") or (r.method, r.route) not in api}
    api_rows = {(r.method, r.route) for r in rows if (r.method, r.route) in api}
    assert not pages - page_rows, f"routes without a row in docs/security.md: {sorted(pages - page_rows)}"
    assert not api - api_rows, f"API operations without a row in docs/security.md: {sorted(api - api_rows)}"
    stale = page_rows - pages
    assert not stale, f"rows for routes that do not exist: {sorted(stale)}"


def test_normalise_resolver_patterns():
    assert _normalise(r"^phan-anh/(?P<code>[Pp][Aa]-[0-9A-Za-z]{5}-[0-9A-Za-z]{5})/anh/(?P<photo_id>[0-9]+)$") == \
        "/phan-anh/<code>/anh/<photo_id>"
    assert _normalise(r"^open311/(?P<path>.*?)(?:\.(?P<fmt>json|xml))?$") == "/open311/<path>[.<fmt>]"
    assert _normalise("ke-hoach/<slug:code>/xuat.<str:fmt>") == "/ke-hoach/<code>/xuat.<fmt>"


def test_parse_matrix_reads_rows_and_refuses_unknown_outcomes():
    head = ("## Roles and permissions\n\n| Method | Route | Example | " + " | ".join(ROLES) + " |\n|"
            + "---|" * (3 + len(ROLES)) + "\n")
    row = parse_matrix(head + "| POST | `/x/<code>` | `/x/{report_pt}` (action=accept) | login | 403 | ok | ok | 403"
                              " | 403 | ok |\n\n## Next\n")[0]
    assert (row.method, row.route, row.example, row.body) == ("POST", "/x/<code>", "/x/{report_pt}",
                                                              {"action": "accept"})
    assert row.expected["anonymous"] == "login" and row.expected["handler"] == "ok"
    with pytest.raises(AssertionError, match="unknown outcome"):
        parse_matrix(head + "| GET | `/x` | `/x` | 200 | ok | ok | ok | ok | ok | ok |\n")


# --- the walk -------------------------------------------------------------------------------------------

def classify(response) -> str:
    """The outcome class of a response (see the matrix legend in docs/security.md)."""
    status = response.status_code
    if status == 401:
        return "login"
    if 300 <= status < 400:
        target = urlparse(response["Location"])
        assert not target.netloc or target.netloc == "testserver", f"redirect off the site: {response['Location']}"
        return "login" if target.path.startswith(LOGIN_PATHS) else "ok"
    if status in (403, 404):
        return str(status)
    if 200 <= status < 300 or status in (400, 409, 422):
        return "ok"  # the permission check passed; what remains is the service's answer to the input
    return f"unexpected {status}"


@pytest.fixture
def walk_world(db, boundaries_ready, settings, tmp_path):  # noqa: F811
    from tinhso.geo.models import Unit
    from tinhso.indicators import setup as indicators_setup
    from tinhso.reports.models import Category, HandlingUnit, Photo, PhotoKind, State, UnitKind

    settings.MEDIA_ROOT = tmp_path / "media"
    indicators_setup.load_demo(out=lambda *a, **k: None)
    communes = Unit.objects.filter(structure="current", level="commune", province_code="68")
    phan_thiet, mui_ne = communes.get(name="Phường Phan Thiết"), communes.get(name="Phường Mũi Né")
    traffic = Category.objects.create(code="traffic", name_vi="Giao thông", name_en="Traffic")
    pt = HandlingUnit.objects.create(code="ubnd-phan-thiet", name="UBND Phường Phan Thiết",
                                     kind=UnitKind.COMMUNE_COMMITTEE, commune=phan_thiet)
    mn = HandlingUnit.objects.create(code="ubnd-mui-ne", name="UBND Phường Mũi Né",
                                     kind=UnitKind.COMMUNE_COMMITTEE, commune=mui_ne)

    class W:
        pass

    w = W()
    w.phan_thiet, w.traffic, w.pt = phan_thiet, traffic, pt
    users = {"anonymous": None,
             "operator": role_user("w-operator", "operator"),
             "handler": role_user("w-handler", "handler", pt),
             "supervisor": role_user("w-supervisor", "supervisor", pt),
             "planner": role_user("w-planner", "planner", pt),
             "leader": role_user("w-leader", "leader", pt),
             "administrator": role_user("w-administrator", "administrator")}
    from tinhso.analysis import report as monthly  # the monthly analysis archive (/phan-tich)

    for unit in (None, pt.code, mn.code):
        monthly.generate(dt.date(2025, 10, 1), unit, findings=[])
    new = make_report(w, State.SUBMITTED)
    mine = make_report(w, State.IN_PROGRESS, unit=pt, public=False)
    theirs = make_report(w, State.IN_PROGRESS, unit=mn, public=False)
    photos = {}
    for key, report in (("photo_pt", mine), ("photo_mn", theirs)):
        photo = Photo(report=report, kind=PhotoKind.CITIZEN, mime="image/png", size=3, width=1, height=1, sha256="0")
        photo.file.save("p.png", ContentFile(b"png"), save=True)
        photos[key] = photo.token
    values = {"report_new": new.code, "report_pt": mine.code, "report_mn": theirs.code, **photos,
              "plan": "bt-nq10-2022", "unit_mn": mn.code, "user": str(users["handler"].pk)}
    # The plan's first observation: ids differ between databases (a rolled-back row still uses one up).
    from tinhso.indicators.models import Observation

    values["observation"] = str(Observation.objects.order_by("pk").values_list("pk", flat=True).first())
    return users, values


# Realistic values for API body fields, so a refusal is about the role and not about the input.
FIELD_VALUES = {"unit": "{unit_mn}", "parent": "{report_new}", "category": "traffic", "severity": "normal",
                "lat": "11.0", "lon": "108.0", "rating": 5, "forward": False, "public": True}


def _resolve_ref(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def api_body(method: str, path: str) -> tuple[str | None, dict]:
    """(content type, body) for an API operation: every field of its request schema, filled in."""
    spec = openapi()
    op = spec["paths"][path][method.lower()]
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        return None, {}
    kind = "application/json" if "application/json" in content else next(iter(content))
    media = content[kind]
    schema = _resolve_ref(media.get("schema", {}), spec)
    body = {}
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve_ref(prop, spec)
        types = {prop.get("type")} | {p.get("type") for p in prop.get("anyOf", [])}
        if name in FIELD_VALUES:
            body[name] = FIELD_VALUES[name]
        elif "array" in types or prop.get("format") == "binary":
            continue
        elif types & {"integer", "number"}:
            body[name] = 1
        elif "boolean" in types:
            body[name] = False
        else:
            body[name] = "x"
    return kind, body


def _fill(value, values: dict):
    return value.format(**values) if isinstance(value, str) else value


def request_as(client: Client, row: Row, values: dict, api: set):
    path = row.example.format(**values)
    if row.method == "GET":
        return client.get(path)
    if (row.method, row.route) in api:
        kind, body = api_body(row.method, row.route)
        body = {k: _fill(v, values) for k, v in body.items()}
        if kind == "application/json":
            import json

            return client.generic(row.method, path, json.dumps(body), content_type="application/json")
        return client.post(path, body)
    return client.generic(row.method, path, "&".join(f"{k}={_fill(v, values)}" for k, v in row.body.items()),
                          content_type="application/x-www-form-urlencoded")


def test_every_route_as_every_role_matches_the_matrix(walk_world):
    users, values = walk_world
    api = api_routes()
    mismatches = []
    for row in parse_matrix():
        for role in ROLES:
            cache.clear()  # rate-limit counters: the walk sends many requests from one address
            with transaction.atomic():
                client = Client(raise_request_exception=False)
                if users[role] is not None:
                    client.force_login(users[role])
                got = classify(request_as(client, row, values, api))
                transaction.set_rollback(True)
            if got != row.expected[role]:
                mismatches.append(f"{row.method} {row.example} as {role}: {got}, matrix says {row.expected[role]}")
    assert not mismatches, "\n".join(mismatches)
