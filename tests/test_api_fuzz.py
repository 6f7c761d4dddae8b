"""Schemathesis against a real ``tinhso serve``: the served OpenAPI document must match what the API
answers. No 5xx, no undocumented status, no wrong content type, no body outside its schema.

The installation is a small demo (boundaries, categories, units, staff accounts, 40 synthetic
reports, the demo plan) and the requests carry an IOC operator's session and CSRF token, so the staff
endpoints are exercised past their sign-in check. Bounded and deterministic: ``--max-examples``
per operation, the examples/coverage/fuzzing phases, derandomised generation, one worker (the run
takes about a minute on 2 cores).
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.installation import installation, python, served, tinhso

# Once per make test, in the PostgreSQL pass when there is one (CI time: it balances the two passes).
pytestmark = [pytest.mark.once, pytest.mark.pg_pass]

MAX_EXAMPLES = 12  # per operation and phase: the budget (~1 minute of the whole run on 2 cores)
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

SEED = """
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
import django
django.setup()
from tinhso.geo import boundaries
from tinhso.indicators import setup as indicators_setup
from tinhso.reports import setup as reports_setup
quiet = lambda *a, **k: None
boundaries.ensure_active(out=quiet)
reports_setup.DEMO_REPORTS = 40  # the demo, smaller: the run needs rows to read, not volume
reports_setup.load_demo(out=quiet)
indicators_setup.load_demo(out=quiet)
import json
from tinhso.indicators.models import Indicator
from tinhso.reports.models import Report
states = ("submitted", "assigned", "in_progress", "info_requested", "resolved", "closed", "rejected")
reports = [code for state in states for code in Report.objects.filter(state=state).values_list("code", flat=True)[:2]]
print(json.dumps({"reports": reports, "indicators": list(Indicator.objects.values_list("code", flat=True)[:5])}))
"""

# Known identifiers, used for part of the generated path parameters so that the views' logic (not
# only their 404) is exercised; the rest stay generated.
CONFIG = """
[dictionaries]
reports = {{ values = {reports} }}
indicators = {{ values = {indicators} }}
plans = {{ values = ["bt-nq10-2022"] }}
methods = {{ values = ["dti-1726", "pci-2013", "svc-766"] }}
units = {{ values = ["68", "22945", "60"] }}

[[operations]]
include-path-regex = "/reports/(staff|track)/"
parameters = {{ "path.code" = {{ dictionary = "reports", probability = 0.7 }} }}

[[operations]]
include-path-regex = "/indicators/[{{]"
parameters = {{ "path.code" = {{ dictionary = "indicators", probability = 0.7 }} }}

[[operations]]
include-path-regex = "/plans/[{{]"
parameters = {{ "path.code" = {{ dictionary = "plans", probability = 0.7 }} }}

[[operations]]
include-path-regex = "/indices/(methods/)?[{{]"
parameters = {{ "path.method" = {{ dictionary = "methods", probability = 0.7 }}, "path.code" = {{ dictionary = "methods", probability = 0.7 }} }}

[[operations]]
include-path-regex = "/units/[{{]"
parameters = {{ "path.code" = {{ dictionary = "units", probability = 0.7 }} }}
"""


def _staff_session(base: str, var_dir: Path) -> tuple[str, str]:
    """Sign in as the demo IOC operator through the login page; (Cookie header, CSRF token)."""
    password = json.loads((var_dir / "demo-accounts.json").read_text())["ioc-operator"]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/dang-nhap").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": "ioc-operator", "password": password,
                                   "csrfmiddlewaretoken": token}).encode()
    opener.open(urllib.request.Request(base + "/dang-nhap", data=form, headers={"Referer": base + "/dang-nhap"}))
    cookies = {c.name: c.value for c in jar}
    assert "sessionid" in cookies, "the demo operator could not sign in"
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), cookies["csrftoken"]


def test_the_served_api_keeps_its_openapi_contract(tmp_path):
    st = Path(sys.executable).with_name("st")
    if not st.exists():
        pytest.fail(f"schemathesis is not installed beside {sys.executable}: make install-test")
    var_dir = tmp_path / "var"
    # TINHSO_DEMO: a throwaway server may run on the key generated in its var dir.
    with installation(var_dir, DJANGO_SETTINGS_MODULE="tests.fuzz_settings", TINHSO_DEMO="1") as env:
        tinhso(env, "init")
        known = json.loads(python(env, SEED).strip().splitlines()[-1])
        assert known["reports"] and known["indicators"], known
        log = tmp_path / "server.log"
        with served(env, log) as base:
            cookie, csrf = _staff_session(base, var_dir)
            work = tmp_path / "st"
            work.mkdir()
            (work / "schemathesis.toml").write_text(CONFIG.format(
                reports=json.dumps(known["reports"]), indicators=json.dumps(known["indicators"])))
            done = subprocess.run(
                [str(st), "run", f"{base}/api/v1/openapi.json", "--checks", CHECKS,
                 "--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES),
                 "--generation-deterministic", "--workers", "1", "--request-timeout", "30",
                 "--suppress-health-check", "all", "--no-color", "--output-truncate", "true",
                 "-H", f"Cookie: {cookie}", "-H", f"X-CSRFToken: {csrf}", "-H", f"Referer: {base}/"],
                cwd=work, env={**env, "PYTHONPATH": ""}, capture_output=True, text=True, timeout=900)
        server_log = log.read_text()
    shutil.rmtree(work, ignore_errors=True)
    assert done.returncode == 0, f"{done.stdout[-20000:]}\n{done.stderr[-3000:]}\n--- server log ---\n{server_log[-8000:]}"
    # Django logs every 500 as "Internal Server Error: <path>" (a 400 for an unparsable body is logged
    # with its traceback too, so tracebacks alone prove nothing).
    assert "Internal Server Error" not in server_log, server_log[-8000:]
    assert re.search(r"\b\d+ generated\b", done.stdout), done.stdout[-3000:]
