"""Under the Content-Security-Policy (no inline script, style or handler) the main pages work and
the browser reports no violation: every script and style sheet is a static file of the site."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import goto_settled

pytestmark = pytest.mark.e2e

PUBLIC = ["/", "/phan-anh", "/phan-anh/tra-cuu", "/phan-anh/cong-khai", "/phan-anh/thong-ke", "/dang-nhap",
          "/chi-so", "/chi-so/phuong-phap/dti-922", "/ke-hoach", "/admin/login/", "/api/v1/docs"]

# Collects securitypolicyviolation events (init scripts are injected by the browser, not the page,
# so the policy does not apply to this one).
WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Watched:
    def __init__(self, context):
        context.add_init_script(WATCH)
        self.page = context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        self.page.on("pageerror", lambda err: self.console.append(f"pageerror: {err}"))

    def visit(self, path: str) -> list[str]:
        start = len(self.console)
        response = goto_settled(self.page, path)
        assert response is not None and response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (path, policy)
        violations = self.page.evaluate("window.__cspViolations")
        # CSP reports in the console, and script errors (a blocked script breaks the ones after it).
        console = [line for line in self.console[start:]
                   if "Content Security Policy" in line or line.startswith("pageerror")]
        return [f"{path}: {v}" for v in violations + console]


def test_public_pages_report_no_csp_violation(context, server):
    watched = Watched(context)
    problems = []
    for path in [*PUBLIC, f"/phan-anh/{server['facts']['other_report']}"]:
        problems += watched.visit(path)
        if path == "/phan-anh":  # the map (Leaflet, reports/map.js) was drawn
            watched.page.wait_for_selector("#picker-map .leaflet-overlay-pane path", state="attached")
        if path == "/api/v1/docs":  # Swagger UI (local static files) rendered the API
            watched.page.wait_for_selector(".swagger-ui .info", timeout=15_000)
    assert problems == []


def test_staff_pages_report_no_csp_violation(context, server):
    user = server["facts"]["users"]["operator"]
    watched = Watched(context)
    problems = watched.visit("/dang-nhap")
    page = watched.page
    page.fill("#id_username", user["username"])
    page.fill("#id_password", user["password"])
    page.click("form.narrow button[type=submit]")
    page.wait_for_url(re.compile(r"/ioc/phan-anh$"))
    code = server["facts"]["other_report"]
    for path in ["/can-bo", "/ioc/phan-anh", f"/ioc/phan-anh/{code}", "/hop-thu"]:
        problems += watched.visit(path)
    assert problems == []
