"""Browser-test fixtures: a real ``tinhso serve`` on its own var dir, and Debian's chromium.

The server gets a fresh ``TINHSO_VAR_DIR`` (its own SQLite database and media), is initialised
with ``tinhso init`` and the small world of :mod:`tests.e2e.seed`, and is stopped at the end of
the session. Nothing here touches the pytest-django test database. Tests are skipped (with the
reason) only when chromium or Playwright is missing; CI installs chromium (``.ci/run``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.installation import base_env

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "var" / "screenshots"
START_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict, log: Path) -> None:
    with log.open("a") as fh:
        done = subprocess.run(args, check=False, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, timeout=300)
    if done.returncode:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}); see {log}:\n{log.read_text()[-3000:]}")


def run_seed(server, script: str, facts: str) -> dict:
    """Run ``tests/e2e/<script>`` on the server's database (its own process, as the server reads the
    same var dir) and return the facts it wrote to ``<var dir>/<facts>``."""
    var_dir = server["log"].parent
    out = var_dir / facts
    env = base_env()
    env.update(TINHSO_VAR_DIR=str(var_dir), TINHSO_DEMO="1")
    done = subprocess.run([sys.executable, str(REPO / "tests" / "e2e" / script), str(out)], env=env,
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(out.read_text())


def canvas_has_ink(page, selector: str, min_pixels: int = 1) -> bool:
    """Whether the first canvas inside ``selector`` has at least ``min_pixels`` drawn (non-transparent)
    pixels: a chart that really drew, not an empty container."""
    return page.eval_on_selector(selector, """(node, least) => {
        const canvas = node.querySelector('canvas');
        if (!canvas || !canvas.width) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let ink = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0 && ++ink >= least) return true;
        return false; }""", min_pixels)


def fill_date(page, name: str, day, text: str | None = None) -> None:
    """Type ``day`` into the date field named ``name`` as a reader does (web/datefield.js shows it as
    dd/mm/yyyy on a Vietnamese page, "dd Mon yyyy" on an English one; ``text``: typed otherwise),
    leave the field, and check that the form now holds ``day``."""
    page.wait_for_selector("html[data-date-fields=ready]", state="attached")
    english = (page.locator("html").get_attribute("lang") or "vi").startswith("en")
    field = page.locator(f"[data-date-field={name}]")
    field.fill(text or (day.strftime("%d %b %Y") if english else day.strftime("%d/%m/%Y")))
    field.press("Escape")  # closes the calendar
    page.locator("h1").first.click()  # leaves the field: the typed date is read
    hidden = page.locator(f"input[type=hidden][name={name}]")
    if hidden.input_value() != day.isoformat():
        raise AssertionError(f"{name}: typed {day}, the form holds {hidden.input_value()!r}")


def goto_settled(page, path: str, quiet_ms: int = 150, timeout_ms: int = 20_000):
    """``page.goto(path)``, then wait until the page has loaded and no request has been in flight for
    ``quiet_ms``: what ``wait_for_load_state("networkidle")`` waits for, with a quiet window of 150 ms
    instead of its fixed 500 ms (a third of a second per page, over a hundred pages a run)."""
    inflight: set = set()
    last = [time.monotonic()]

    def started(request):
        inflight.add(request)
        last[0] = time.monotonic()

    def ended(request):
        inflight.discard(request)
        last[0] = time.monotonic()

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    try:
        response = page.goto(path)
        page.wait_for_load_state("load")
        deadline = time.monotonic() + timeout_ms / 1000
        while inflight or time.monotonic() - last[0] < quiet_ms / 1000:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path}: still loading {sorted(r.url for r in inflight)}")
            page.wait_for_timeout(25)
        return response
    finally:
        page.remove_listener("request", started)
        page.remove_listener("requestfinished", ended)
        page.remove_listener("requestfailed", ended)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Debian chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright (python) is not installed: make install-test")
    return CHROMIUM


@pytest.fixture(scope="session")
def mailbox():
    """A real SMTP server on 127.0.0.1 the served platform sends its e-mail to (``TINHSO_EMAIL_URL``)."""
    from tests.loopback_smtp import SmtpServer

    with SmtpServer() as smtp:
        yield smtp


@pytest.fixture(scope="session")
def server(chromium_path, tmp_path_factory, mailbox):
    """``tinhso serve`` on a free port, with the e2e world loaded; yields base URL, facts and the
    SMTP server receiving its mail (the notification worker that ``serve`` starts delivers it)."""
    var_dir = tmp_path_factory.mktemp("e2e-var")
    log = var_dir / "server.log"
    env = base_env()  # the shared locator grid folder of make test, no other TINHSO_ setting
    from tests.web.pmtiles_archive import raster_archive

    basemap = var_dir / "basemap.pmtiles"
    # A real street basemap served by tinhso with HTTP Range: tiles to zoom 12 over the province and its
    # neighbours, so the maps' street zooms scale a tile a few times (see raster_archive).
    raster_archive(basemap, cover=(105.5, 9.5, 110.0, 13.5), max_zoom=12)
    # TINHSO_DEMO: a throwaway server may run on the key generated in its var dir.
    env.update(TINHSO_VAR_DIR=str(var_dir), TINHSO_DEMO="1", TINHSO_ACCESS_LOG="off", TINHSO_WORKERS="1",
               TINHSO_THREADS="4", PYTHONUNBUFFERED="1", TINHSO_BASEMAP_PMTILES=str(basemap),
               TINHSO_EMAIL_URL=mailbox.url, TINHSO_EMAIL_FROM="IOC <ioc@example.org>", TINHSO_NOTIFY_INTERVAL="0.5",
               # Every browser test signs in from 127.0.0.1: more than the 10 sign-ins a minute one
               # address may post when the suite runs fast (the limit itself is tested in tests/reports).
               TINHSO_RATE_LOGIN="600")
    python = sys.executable
    _run([python, "-m", "tinhso.cli", "init"], env, log)
    facts_path = var_dir / "facts.json"
    _run([python, str(REPO / "tests" / "e2e" / "seed.py"), str(facts_path)], env, log)
    port = _free_port()
    env["TINHSO_SITE_URL"] = f"http://127.0.0.1:{port}"
    with log.open("a") as fh:
        proc = subprocess.Popen([python, "-m", "tinhso.cli", "serve", "--port", str(port), "--workers", "1"],
                                env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"{base}/phan-anh", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tinhso serve did not start; log:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield {"base": base, "facts": json.loads(facts_path.read_text()), "log": log, "mailbox": mailbox}
    finally:
        # gunicorn: SIGTERM to the master (its own session) stops the workers gracefully.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, server):
    """A fresh browser profile (cookies, session) per test, phone-sized, Vietnamese."""
    ctx = browser.new_context(base_url=server["base"], viewport={"width": 412, "height": 900}, locale="vi-VN")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()
