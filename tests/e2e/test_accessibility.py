"""axe-core over every page template, as the role that sees it, in a real browser (issue 12).

Each page is opened in chromium against ``tinhso serve`` and scanned with the vendored axe-core
(loaded from the site's own static files, so the site's CSP stays on). A serious or critical
violation fails the test, except those listed in :data:`KNOWN` — pages other helpers are
rewriting in this wave; an entry that no longer fails fails the test too, so the list only shrinks.
The same walk checks a 360 px phone never scrolls sideways on the pages listed in :data:`PHONE`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.e2e.conftest import REPO, goto_settled
from tests.installation import base_env

pytestmark = pytest.mark.e2e

AXE_URL = "/static/vendor/axe-core/axe.min.js"
ACCOUNTS = ("import os, json, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tinhso.settings'); "
            "django.setup(); from tinhso.core.demo_accounts import ensure_account; "
            "from tinhso.indicators.models import Plan; from tinhso.opendata.models import Dataset; "
            "a = ensure_account('e2e-admin', groups=('administrator',))[1]; "
            "p = ensure_account('e2e-planner', groups=('planner',))[1]; "
            "from tinhso.opendata import generated; generated.refresh(out=lambda *a, **k: None); "
            "plan = Plan.objects.order_by('code').first(); item = plan.items.order_by('order').first() if plan else None; "
            "ds = Dataset.objects.filter(state='published').order_by('name').first(); "
            "print(json.dumps({'admin': a, 'planner': p, 'plan': plan.code if plan else None, "
            "'indicator': item.indicator.code if item else None, 'dataset': ds.name if ds else None}))")

# (role, path): every page template at least once. Roles: anonymous, operator, handler (the Mũi Né
# ward's, which holds the seeded report), planner, admin. {x} are filled from the seeded facts.
PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/phan-anh"),
    ("anonymous", "/phan-anh/tra-cuu"),
    ("anonymous", "/phan-anh/tra-cuu?ma=PA-00000-00000"),  # reports/error.html or the lookup error
    ("anonymous", "/phan-anh/cong-khai"),
    ("anonymous", "/phan-anh/cong-khai/{report}"),
    ("anonymous", "/phan-anh/thong-ke"),
    ("anonymous", "/phan-anh/{report}"),
    ("anonymous", "/dang-nhap"),
    ("anonymous", "/don-vi-hanh-chinh"),
    ("anonymous", "/don-vi-hanh-chinh?q=phan+thiet"),
    ("anonymous", "/don-vi-hanh-chinh/hien-hanh/22945"),
    ("anonymous", "/don-vi-hanh-chinh/truoc-1-7-2025/22945"),
    ("anonymous", "/ke-hoach"),
    ("anonymous", "/ke-hoach/{plan}"),
    ("anonymous", "/ke-hoach/{plan}/chi-tieu/{indicator}"),
    ("anonymous", "/ke-hoach/khong-co-ke-hoach-nay"),  # indicators/error.html
    ("anonymous", "/chi-so"),
    ("anonymous", "/chi-so/phuong-phap/dti-922"),
    ("anonymous", "/ioc/cong-khai"),
    ("anonymous", "/du-lieu-mo"),
    ("anonymous", "/du-lieu-mo/danh-muc"),
    ("anonymous", "/du-lieu-mo/{dataset}"),
    ("anonymous", "/dich-vu-cong"),
    ("operator", "/can-bo"),
    ("operator", "/ioc/phan-anh"),
    ("operator", "/ioc/phan-anh/{report}"),
    ("operator", "/ioc"),
    ("operator", "/hop-thu"),
    ("operator", "/dich-vu-cong/ho-so"),
    ("operator", "/dich-vu-cong/ho-so?page=x"),  # dossiers/error.html
    ("handler", "/don-vi/phan-anh"),
    ("handler", "/don-vi/phan-anh/{report}"),
    ("handler", "/ioc"),  # ioc/denied.html
    ("handler", "/du-lieu-mo/dang-tai"),  # opendata/forbidden.html
    ("planner", "/ke-hoach/{plan}/nhap"),
    ("planner", "/hop-thu"),  # notify/forbidden.html if planners have no inbox
    ("admin", "/admin/"),
    ("admin", "/admin/reports/report/"),
    ("admin", "/admin/reports/routingrule/add/"),
    ("admin", "/du-lieu-mo/dang-tai"),
    ("admin", "/du-lieu-mo/duyet"),
]

# Pages rewritten by other helpers in this wave (queues, citizen form and maps, planner, analysis):
# their violations are reported to them, not fixed here. {path: {axe rule ids}}.
KNOWN: dict[str, set[str]] = {}

# Pages that must fit a 360 px phone without sideways scrolling (this helper's and the shared base).
PHONE = ["/", "/don-vi-hanh-chinh", "/don-vi-hanh-chinh?q=phan+thiet", "/don-vi-hanh-chinh/hien-hanh/22945",
         "/don-vi-hanh-chinh/truoc-1-7-2025/22945", "/phan-anh/tra-cuu", "/dang-nhap",
         # wide tables (files with their SHA-256, catalogues, examples) scroll inside their box
         "/chi-so", "/chi-so/phuong-phap/dti-922", "/du-lieu-mo", "/du-lieu-mo/danh-muc", "/du-lieu-mo/{dataset}"]


@pytest.fixture(scope="module")
def world(server):
    env = base_env()
    env.update(TINHSO_VAR_DIR=str(server["log"].parent), TINHSO_DEMO="1", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", ACCOUNTS], env=env, cwd=REPO, check=True, timeout=300,
                          capture_output=True, text=True)
    extra = json.loads(done.stdout.strip().splitlines()[-1])
    facts = server["facts"]
    users = {"operator": facts["users"]["operator"], "handler": facts["users"]["handler_mui_ne"],
             "admin": {"username": "e2e-admin", "password": extra["admin"]},
             "planner": {"username": "e2e-planner", "password": extra["planner"]}}
    values = {"report": facts["other_report"], "plan": extra["plan"], "indicator": extra["indicator"],
              "dataset": extra["dataset"]}
    return users, values


def _sign_in(page, user: dict) -> None:
    page.goto("/dang-nhap")
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/dang-nhap" not in page.url, f"{user['username']} could not sign in"


def scan(page) -> list[dict]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
          .map(v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 4).map(n => n.target.join(' '))}));
    }""")


def test_every_page_has_no_serious_axe_violation(browser, server, world):
    users, values = world
    found, stale, skipped = {}, [], []
    by_role: dict[str, list[str]] = {}
    for role, path in PAGES:
        by_role.setdefault(role, []).append(path)
    for role, paths in by_role.items():
        ctx = browser.new_context(base_url=server["base"], viewport={"width": 1280, "height": 900}, locale="vi-VN")
        ctx.set_default_timeout(20_000)
        page = ctx.new_page()
        if role != "anonymous":
            _sign_in(page, users[role])
        for template in paths:
            if any(f"{{{k}}}" in template and not v for k, v in values.items()):
                skipped.append(template)
                continue
            path = template.format(**values)
            response = goto_settled(page, path)
            assert response is not None and response.status < 500, (role, path, response and response.status)
            violations = scan(page)
            ids = {v["id"] for v in violations}
            known = KNOWN.get(template, set())
            new = [v for v in violations if v["id"] not in known]
            if new:
                found[f"{role} {path}"] = new
            if known - ids:
                stale.append((template, sorted(known - ids)))
        ctx.close()
    print(json.dumps({"violations": found, "stale": stale, "skipped": skipped}, ensure_ascii=False, indent=1))
    assert not found, json.dumps(found, ensure_ascii=False, indent=1)
    assert not stale, f"KNOWN lists violations that are fixed now: remove them: {stale}"


def test_phone_pages_never_scroll_sideways(browser, server, world):
    _users, values = world
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 360, "height": 740}, locale="vi-VN",
                              is_mobile=True, has_touch=True)
    page = ctx.new_page()
    wide = {}
    for template in PHONE:
        if any(f"{{{k}}}" in template and not v for k, v in values.items()):
            continue
        path = template.format(**values)
        goto_settled(page, path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 360:
            wide[path] = width
    # The collapsing menu: closed at first, opened by its button, every link then reachable.
    page.goto("/")
    nav = page.locator("#site-nav")
    assert not nav.is_visible()
    page.click(".menu-toggle")
    assert nav.is_visible() and page.locator(".menu-toggle").get_attribute("aria-expanded") == "true"
    assert page.locator("#site-nav a[href='/don-vi-hanh-chinh']").is_visible()
    ctx.close()
    assert not wide, wide


def test_skip_link_and_favicon(context):
    page = context.new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert "skip-link" in focused and page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(icon).status == 200
