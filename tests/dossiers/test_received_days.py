"""The dossier list narrowed to reception days (``since``/``until``, inclusive, ``YYYY-MM-DD``, Vietnam
calendar days): with the period, bucket and agency filters, through paging and the CSV, shown as an
active filter, refused at the edge when malformed or reversed (a 400 naming the parameter, never a 500),
scoped to the reader's agencies, the same whichever way the store is read."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest

from tests.dossiers.conftest import staff_client as _staff
from tests.dossiers.conftest import write_json
from tests.dossiers.known import AGENCY, KNOWN, dossier
from tinhso.core.errors import UserError
from tinhso.dossiers import service, store

pytestmark = pytest.mark.django_db

# Around the day's edges (Vietnam local time as the portal writes it) and 60 on one day, for paging.
EDGES = [dossier("HS-E-LAST-MINUTE", 4, "31/10/2025 23:59:59", "07/11/2025 08:00:00"),
         dossier("HS-E-MIDNIGHT", 4, "01/11/2025 00:00:00", "10/11/2025 08:00:00")]
MANY = [dossier(f"HS-M-{i:02d}", 4, f"15/10/2025 {8 + i // 10:02d}:{i % 10 * 5:02d}:00", "22/10/2025 08:00:00")
        for i in range(60)]


@pytest.fixture
def loaded(catalogue, tmp_path):
    from django.core.cache import cache

    cache.clear()
    service.import_file(write_json(tmp_path / "r.json", KNOWN + EDGES + MANY))
    return catalogue


def _codes(filters: dict, **kwargs) -> set[str]:
    return {d["ma_ho_so"] for d in service.list_dossiers(filters, page_size=500, **kwargs)["items"]}


def test_reception_days_are_inclusive_calendar_days_in_vietnam(loaded):
    assert _codes({"since": "2025-10-01", "until": "2025-10-01"}) == {"HS-01-EARLY", "HS-12-NO-DUE"}
    assert _codes({"since": "2025-10-06", "until": "2025-10-08"}) == {"HS-04-PAUSED", "HS-05-TWICE", "HS-09-WITHDRAWN"}
    # 23:59:59 on 31 October is that day's; midnight is the next day's (no shift to UTC)
    assert "HS-E-LAST-MINUTE" in _codes({"since": "2025-10-31", "until": "2025-10-31"})
    assert _codes({"since": "2025-11-01", "until": "2025-11-01"}) == {"HS-E-MIDNIGHT"}
    # one side only; a dossier never received (refused at reception) has no reception day
    assert _codes({"until": "2025-09-30"}) == {"HS-06-CARRIED", "HS-13-CARRIED-LATE", "HS-14-SEPTEMBER"}
    assert _codes({"since": "2025-11-01"}) == {"HS-15-NOVEMBER", "HS-E-MIDNIGHT"}


def test_reception_days_combine_with_the_period_bucket_and_agency(loaded):
    days = {"since": "2025-10-01", "until": "2025-10-03"}
    assert _codes({"period": "2025-10", "bucket": "received", **days}) == {
        "HS-01-EARLY", "HS-02-SAMEDAY", "HS-03-LATE", "HS-12-NO-DUE"}
    assert _codes({"period": "2025-10", "bucket": "received_online", **days}) == {"HS-01-EARLY"}
    assert _codes({"period": "2025-10", "bucket": "finished_late", **days}) == {"HS-03-LATE"}
    assert _codes({"period": "2025-10", "bucket": "carried_over", **days}) == set()  # received before the period
    assert _codes({"agency": AGENCY, **days}) == _codes(days)
    assert _codes({"agency": "so-y-te", **days}) == set()
    assert _codes({"period": "2025-10", "bucket": "received", "since": "2025-10-15", "until": "2025-10-15",
                   "status": "4"}) == {d["MaHoSo"] for d in MANY}


@pytest.mark.parametrize("query,field", [
    ({"since": "01/10/2025"}, "since"), ({"until": "2025-02-30"}, "until"), ({"since": "20251001"}, "since"),
    ({"since": "2025-W40-3"}, "since"), ({"until": "0001-01-01"}, "until"), ({"since": "٢٠٢٥-١٠-٠١"}, "since"),
    ({"since": "2025-10-05", "until": "2025-10-01"}, "until"), ({"since": "x" * 5000}, "since"),
])
def test_a_bad_or_reversed_day_is_a_400_naming_it_on_the_page_the_api_and_the_service(loaded, query, field):
    ioc = _staff("ioc", "view_all_dossiers")
    page = ioc.get("/dich-vu-cong/ho-so", {"period": "2025-10", "bucket": "received", **query})
    html = page.content.decode()
    # the page names the field as its form labels it, in the page's language only (not "since:")
    label = {"since": "Tiếp nhận từ ngày", "until": "Tiếp nhận đến ngày"}[field]
    message = unescape(re.search(r'<p class="error">(.*?)</p>', html, re.S).group(1))
    assert page.status_code == 400 and label in message and f"{field}:" not in message, message
    assert 'class="muted"' not in html.split("<main")[1].split("</main>")[0]  # no English beside it
    assert "x" * 41 not in message  # a long value is not repeated whole
    for url in ("/api/v1/dossiers/records", "/api/v1/dossiers/records.csv"):
        answer = ioc.get(url, query)
        assert answer.status_code == 400 and answer.json()["error"]["field"] == field, url
    with pytest.raises(UserError) as caught:
        service.list_dossiers(query)
    assert caught.value.field == field and caught.value.status == 400


def test_the_page_shows_the_days_as_an_active_filter_and_keeps_them_through_pages_and_csv(loaded):
    ioc = _staff("ioc", "view_all_dossiers")
    query = {"period": "2025-10", "bucket": "received", "since": "2025-10-15", "until": "2025-10-15", "agency": AGENCY}
    html = ioc.get("/dich-vu-cong/ho-so", query).content.decode()
    assert re.search(r'id="dvc-count" data-total="60"', html)
    assert 'name="since" value="2025-10-15"' in html and 'name="until" value="2025-10-15"' in html
    active = html.split('id="dvc-active"')[1].split("</ul>")[0]
    chip = re.search(r'<li data-filter="days">Tiếp nhận: <strong>15/10/2025</strong> <a href="([^"]+)"', active)
    assert chip and chip.group(1).replace("&amp;", "&") == "/dich-vu-cong/ho-so?period=2025-10&bucket=received&agency=" + AGENCY
    assert re.search(r'data-filter="bucket">Nhóm: <strong>Tiếp nhận trong kỳ</strong>', active)
    period_chip = re.search(r'data-filter="period">Kỳ: <strong>Tháng 10/2025</strong> <a href="([^"]+)"', active)
    assert "bucket=" not in period_chip.group(1) and "since=2025-10-15" in period_chip.group(1)  # a bucket needs its period
    following = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "since=2025-10-15" in following and "until=2025-10-15" in following and "page=2" in following
    second = ioc.get(following).content.decode()
    assert second.count("<tr><td>HS-M-") == 10 and "Trang 2/2" in second
    previous = re.search(r'href="([^"]+)" rel="prev"', second).group(1)
    assert "since=2025-10-15" in previous and "until=2025-10-15" in previous
    exported = re.search(r'href="([^"]+)" id="dvc-csv"', html).group(1).replace("&amp;", "&")
    assert "since=2025-10-15" in exported and "until=2025-10-15" in exported
    rows = list(csv.reader(io.StringIO(ioc.get(exported).content.decode("utf-8-sig"))))
    assert len(rows) == 61 and {r[0] for r in rows[1:]} == {d["MaHoSo"] for d in MANY}
    ioc.cookies["django_language"] = "en"
    english = ioc.get("/dich-vu-cong/ho-so", {**query, "until": "2025-10-31"}).content.decode()
    assert re.search(r'data-filter="days">Received: <strong>15/10/2025 – 31/10/2025</strong>', english)
    assert 'aria-label="Remove the filter Received"' in english
    # The list's day column is the day received, not the handler's "Accept" action.
    assert re.search(r"<th>Received</th><th>[^<]+</th>", english)
    assert "<th>Accept</th>" not in english
    only_since = ioc.get("/dich-vu-cong/ho-so", {"since": "2025-10-15"}).content.decode()
    assert re.search(r'data-filter="days">Received: <strong>from 15/10/2025</strong>', only_since)


def test_the_days_keep_an_agency_official_within_their_agency(loaded, tmp_path):
    others = [dict(dossier("HS-YT-1", 4, "15/10/2025 09:00:00", "22/10/2025 08:00:00"), DonViXuLy="so-y-te")]
    service.import_file(write_json(tmp_path / "yt.json", others))
    health = _staff("health", "view_agency_dossiers", agencies=["so-y-te"])
    days = {"period": "2025-10", "bucket": "received", "since": "2025-10-15", "until": "2025-10-15"}
    html = health.get("/dich-vu-cong/ho-so", days).content.decode()
    assert re.search(r'id="dvc-count" data-total="1"', html) and "HS-YT-1" in html and "HS-M-" not in html
    assert 'id="dvc-limited"' in html
    assert health.get("/dich-vu-cong/ho-so", {**days, "agency": AGENCY}).status_code == 403
    assert health.get("/api/v1/dossiers/records", {**days, "agency": AGENCY}).status_code == 403
    assert [r["ma_ho_so"] for r in health.get("/api/v1/dossiers/records", days).json()["items"]] == ["HS-YT-1"]


def test_the_days_are_those_of_each_dossier_s_latest_version_on_both_ways_of_reading(catalogue, tmp_path):
    """A later sync moves HS-01's reception to 20 October. Read from a store holding one row per dossier,
    or from one still holding the superseded row (the latest version chosen on read), the list of
    1 October no longer holds it and the list of 20 October does."""
    service.import_file(write_json(tmp_path / "a.json", KNOWN))
    (store.root() / store.CURRENT_ONLY_MARKER).unlink()  # the next import leaves the superseded row
    moved = dossier("HS-01-EARLY", 4, "20/10/2025 08:00:00", "27/10/2025 08:00:00", channel=2)
    service.import_file(write_json(tmp_path / "b.json", [moved]))
    first, twentieth = ({"since": f"2025-10-{d}", "until": f"2025-10-{d}"} for d in ("01", "20"))
    assert not store.current_only()
    window = (_codes(first), _codes(twentieth))
    assert window == ({"HS-12-NO-DUE"}, {"HS-01-EARLY", "HS-11-OPEN-SUPPLEMENT"})
    assert store.compact() == 1 and store.current_only()
    assert (_codes(first), _codes(twentieth)) == window


@pytest.mark.parametrize("page", ["2", "3", "9" * 40])
def test_a_page_past_the_last_is_empty_not_an_error_and_the_page_shows_the_last(loaded, page):
    # Once a 500: a page number past 64 bits became an OFFSET the engine could not hold.
    days = {"since": "2025-10-15", "until": "2025-10-15"}
    first = service.list_dossiers(days, page=1)
    assert first["total"] == 60 and len(first["items"]) == 50
    if page == "2":
        assert len(service.list_dossiers(days, page=2)["items"]) == 10
        return
    answer = service.list_dossiers(days, page=int(page))
    assert answer["total"] == 60 and answer["items"] == []
    ioc = _staff("reader", "view_all_dossiers")
    assert ioc.get("/api/v1/dossiers/records", {**days, "page": page}).json()["items"] == []
    # the page: the last one (10 of the 60), saying there is no such page
    html = ioc.get("/dich-vu-cong/ho-so", {**days, "page": page})
    text = html.content.decode()
    assert html.status_code == 200 and text.count("<tr><td>HS-M-") == 10 and 'id="dvc-no-page"' in text
    assert "Trang 2/2" in text and f"Không có trang {page}:" in text
