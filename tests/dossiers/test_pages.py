"""/dich-vu-cong pages: the province's numbers as the service computes them, each linking to the
dossiers behind it; lists for staff only; the synthetic label; no inline script or style."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.dossiers.conftest import PERIOD, write_json
from tests.dossiers.conftest import staff_client as _staff
from tests.dossiers.known import AGENCY, KNOWN
from tinhso.dossiers import service
from tinhso.dossiers.models import Agency

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(catalogue, tmp_path):
    from django.core.cache import cache

    cache.clear()
    service.import_file(write_json(tmp_path / "r.json", KNOWN), synthetic=True)
    return catalogue


def test_the_page_shows_the_services_numbers_and_links_them(loaded):
    html = _staff("ioc-n", "view_all_dossiers").get("/dich-vu-cong", {"period": PERIOD}).content.decode()
    province = service.indicators(PERIOD, "province")["units"][0]
    shown = re.search(r'id="dvc-total"><a [^>]*>([\d,.]+)<', html).group(1)
    assert float(shown.replace(",", ".")) == province["total"]
    # the chart's data: the province's total of each month, this one last
    series = json.loads(re.search(r'id="dvc-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert series["series"][-1] == {"period": PERIOD, "total": province["total"], "rank": None,
                                    "groups": province["groups"], "label": "Tháng 10/2025", "axis": "10/2025",
                                    "partial": False}
    september = service.indicators("2025-09", "province")["units"][0]
    assert series["series"][-2]["total"] == september["total"]
    assert 'id="sap-den-han"' in html and 'id="dvc-synthetic"' in html
    assert "Nghị định 118/2025" in html
    late = province["buckets"]["finished_late"]
    assert re.search(r'data-bucket="finished_late".*?href="/dich-vu-cong/ho-so\?period=' + PERIOD
                     + r'&amp;bucket=finished_late">' + str(late) + "<", html, re.S)
    departments = [u for u in service.indicators(PERIOD, "agency")["units"] if u["rank"]]
    table = html.split('id="dvc-departments"')[1].split("</table>")[0]
    assert re.findall(r'data-code="([^"]+)" data-rank="(\d+)"', table) == [(u["code"], str(u["rank"]))
                                                                           for u in departments]
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html)


def test_week_quarter_year_and_a_bad_period(loaded):
    for period in ("2025-W42", "2025-Q4", "2025"):
        assert Client().get("/dich-vu-cong", {"period": period}).status_code == 200
    assert Client().get("/dich-vu-cong", {"period": "2025-99"}).status_code == 400
    assert Client().get("/dich-vu-cong", {"kind": "decade"}).status_code == 400


def test_the_kinds_offered_for_the_period_in_progress_are_around_today(loaded):
    from tinhso.dossiers import engine
    from tinhso.dossiers.periods import containing

    today = engine.today_local()
    month = containing(today, "month")
    tabs = Client().get("/dich-vu-cong", {"period": month.code}).content.decode().split('class="dvc-kinds"')[1]
    tabs = re.findall(r'href="\?period=([^"]+)"', tabs.split("</nav>")[0])
    assert tabs == [containing(today, k).code for k in ("week", "month", "quarter", "year")]
    # a past period: around its last day
    tabs = Client().get("/dich-vu-cong", {"period": "2025-10"}).content.decode().split('class="dvc-kinds"')[1]
    assert re.findall(r'href="\?period=([^"]+)"', tabs.split("</nav>")[0]) == ["2025-W44", "2025-10", "2025-Q4",
                                                                               "2025"]


def test_empty_store_says_so(catalogue):
    answer = Client().get("/dich-vu-cong")
    assert answer.status_code == 200 and "tinhso dossiers import" in answer.content.decode()


def test_agency_page_and_english(loaded):
    client = Client()
    client.cookies["django_language"] = "en"
    html = client.get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": PERIOD}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    agency = Agency.objects.get(code=AGENCY)
    assert agency.name_en and agency.name_en in html and "Score and rank over time" in html and "pauses the clock" in html
    assert agency.name not in html  # the page's title and heading in English only
    vietnamese = Client().get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": PERIOD}).content.decode()
    assert f"<h1>{agency.name}</h1>" in vietnamese and agency.name_en not in vietnamese
    assert Client().get("/dich-vu-cong/co-quan/khong-co").status_code == 404


def test_the_dossier_list_is_for_staff_and_unit_staff_see_their_own(loaded):
    assert Client().get("/dich-vu-cong/ho-so").status_code == 302
    ioc = _staff("ioc", "view_all_dossiers")
    html = ioc.get("/dich-vu-cong/ho-so", {"period": PERIOD, "bucket": "finished_late"}).content.decode()
    assert "HS-03-LATE" in html and "HS-05-TWICE" in html and "HS-01-EARLY" not in html
    assert 'href="/api/v1/dossiers/records.csv?period=' in html and 'id="dvc-synthetic"' in html
    # Codes named and times as people read them: HS-03-LATE came by post, result returned (status 10),
    # received 03/10/2025 09:00, finished 14/10/2025 10:00; its agency by name.
    row = re.search(r"<tr><td>HS-03-LATE</td>.*?</tr>", html, re.S).group(0)
    agency_name = Agency.objects.get(code=AGENCY).name
    for text in (agency_name, "Bưu chính", "Đã trả kết quả", "03/10/2025 09:00", "14/10/2025 10:00"):
        assert text in row, (text, row)
    assert not re.search(r"\d{4}-\d\d-\d\dT", row)
    assert '<option value="finished_late" selected>Giải quyết quá hạn</option>' in html
    ioc.cookies["django_language"] = "en"
    english = ioc.get("/dich-vu-cong/ho-so", {"period": PERIOD, "bucket": "finished_late", "status": "10"})
    row = re.search(r"<tr><td>HS-03-LATE</td>.*?</tr>", english.content.decode(), re.S).group(0)
    assert "By post" in row and "Result returned" in row
    assert Agency.objects.get(code=AGENCY).name_en in row and agency_name not in row
    assert '<option value="10" selected>Result returned</option>' in english.content.decode()
    health = _staff("health", "view_agency_dossiers", agencies=["so-y-te"])
    assert "HS-03-LATE" not in health.get("/dich-vu-cong/ho-so").content.decode()
    assert health.get("/dich-vu-cong/ho-so", {"agency": AGENCY}).status_code == 403
    own = health.get("/dich-vu-cong").content.decode()
    assert "/dich-vu-cong/co-quan/so-y-te" in own
    # The league tables and one's own agency in English on an English page.
    health.cookies["django_language"] = "en"
    own = health.get("/dich-vu-cong", {"period": PERIOD}).content.decode()
    for code in ("so-y-te", AGENCY):
        english_name = Agency.objects.get(code=code).name_en
        assert english_name and english_name in own, code
    assert "Sở Y tế" not in own


def test_due_soon_times_read_as_people_write_them(loaded, monkeypatch):
    """The due-soon list for staff: each dossier's deadline and the horizon as dd/mm/yyyy hh:mm (local),
    not the API's ISO text. The real service, its clock set to Friday 17 Oct 2025 09:00."""
    import datetime as dt
    import functools

    from tinhso.dossiers import views

    monkeypatch.setattr(views.service, "due_soon",
                        functools.partial(service.due_soon, now=dt.datetime(2025, 10, 17, 9)))
    html = _staff("ioc", "view_all_dossiers").get("/dich-vu-cong", {"period": PERIOD}).content.decode()
    section = html.split('id="sap-den-han"')[1].split("</section>")[0]
    assert "HS-08-UNFINISHED-LATE (20/10/2025 08:00)" in section
    assert "2025-10-2" not in section and re.search(r"trước \d\d/\d\d/2025 \d\d:\d\d", section)


def test_numbers_lead_to_lists_only_the_reader_may_open(loaded):
    """A number links to the dossiers behind it for staff who may list them; a visitor sees plain
    numbers (the link led to a staff sign-in page that gave no reason) and one note near the top, in the
    page's language, that the lists are for staff, with the sign-in link; a signed-in account without
    that right sees plain numbers too (the links were 403s) and a note without the sign-in link; a
    department's staff get links for their own agency only."""
    def list_links(client, url="/dich-vu-cong"):
        html = client.get(url, {"period": PERIOD}).content.decode()
        return re.findall(r'href="(/dich-vu-cong/ho-so\?[^"]*)"', html)

    ioc = _staff("ioc", "view_all_dossiers")
    everyone = list_links(ioc)
    assert any("agency=" in link for link in everyone) and any("bucket=" in link for link in everyone)
    assert 'id="dvc-list-note"' not in ioc.get("/dich-vu-cong", {"period": PERIOD}).content.decode()
    for url in ("/dich-vu-cong", f"/dich-vu-cong/co-quan/{AGENCY}"):
        assert list_links(Client(), url) == [], url
        html = Client().get(url, {"period": PERIOD}).content.decode()
        assert re.search(r'id="dvc-total">\d', html) and html.count('id="dvc-list-note"') == 1
        note = html.split('id="dvc-list-note">')[1].split("</p>")[0]
        assert "chỉ dành cho cán bộ" in note and re.search(r'href="/dang-nhap\?next=%2Fdich-vu-cong', note), note
        english = _english(Client()).get(url, {"period": PERIOD}).content.decode()
        note = english.split('id="dvc-list-note">')[1].split("</p>")[0]
        assert "for authorised staff only" in note and ">sign in</a>" in note and "cán bộ" not in note, note
    planner = User.objects.create_user("planner-x", password="p")
    client = Client()
    client.force_login(planner)
    assert list_links(client) == [] and list_links(client, f"/dich-vu-cong/co-quan/{AGENCY}") == []
    html = client.get("/dich-vu-cong", {"period": PERIOD}).content.decode()
    assert 'id="dvc-total"' in html and re.search(r'id="dvc-total">\d', html)  # the number, without a link
    note = html.split('id="dvc-list-note">')[1].split("</p>")[0]
    assert "tài khoản của bạn không có quyền" in note and "/dang-nhap" not in note
    health = _staff("health", "view_agency_dossiers", agencies=["so-y-te"])
    own = list_links(health)
    agencies = {link.split("agency=")[1].split("&")[0] for link in own if "agency=" in link}
    assert agencies <= {"so-y-te"} and any("bucket=" in link for link in own)  # unscoped lists: narrowed to theirs
    for link in own:
        assert health.get(link.replace("&amp;", "&")).status_code == 200, link
    assert list_links(health, f"/dich-vu-cong/co-quan/{AGENCY}") == [] or AGENCY == "so-y-te"


def test_a_missing_supplied_value_is_named_on_the_pages_in_both_languages(loaded):
    from django.core.cache import cache

    from tinhso.dossiers.models import SuppliedValue

    SuppliedValue.objects.filter(indicator="5.3").delete()
    cache.clear()
    html = Client().get("/dich-vu-cong", {"period": PERIOD}).content.decode()
    assert re.search(r'id="dvc-total">[\d,.]+<', html)  # a total, not "—"
    assert 'id="dvc-missing"' in html and "chỉ số 5.3" in html and "tối đa 94 điểm" in html
    client = Client()
    client.cookies["django_language"] = "en"
    english = client.get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": PERIOD}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No value yet for indicator(s) 5.3" in english and "at most 94 reachable points" in english


def test_indicator_numbers_link_to_lists_holding_exactly_their_dossiers(loaded):
    import html as html_lib

    ioc = _staff("ioc", "view_all_dossiers")
    page = ioc.get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": PERIOD}).content.decode()
    unit = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)
    rows = dict(re.findall(r"<tr><td>([\d.a-z]+)</td>(.*?)</tr>", page, re.S))
    linked = set()
    for code, row in rows.items():
        cells = re.findall(r'<td class="num">(.*?)</td>', row)[:2]
        for part, cell in zip(("numerator", "denominator"), cells):
            link = re.match(r'<a href="([^"]+)">(\d+)</a>', cell)
            if not link:
                continue
            params = dict(p.split("=", 1) for p in html_lib.unescape(link.group(1)).split("?", 1)[1].split("&"))
            from urllib.parse import unquote
            filters = {k: unquote(v) for k, v in params.items()}
            listed = service.list_dossiers(filters, page_size=1)["total"]
            assert listed == unit["indicators"][code][part] == int(link.group(2)), (code, part, filters)
            linked.add((code, part))
    assert {("2.1", "numerator"), ("2.1", "denominator"), ("4.3", "numerator"), ("4.4", "denominator"),
            ("2.2", "denominator"), ("5.4", "denominator")} <= linked, linked
    # a number without a list of exactly its dossiers is shown plain (3.6 counts fee-bearing procedures only)
    assert ("3.6", "numerator") not in linked


def test_a_list_confined_to_the_readers_agency_says_so_in_both_languages(loaded):
    health = _staff("health-l", "view_agency_dossiers", agencies=["so-y-te"])
    html = health.get("/dich-vu-cong/ho-so", {"period": PERIOD, "bucket": "finished_early"}).content.decode()
    name = Agency.objects.get(code="so-y-te").name
    assert 'id="dvc-limited"' in html and f"cơ quan bạn ({name})" in html and "không phải của cả tỉnh" in html
    health.cookies["django_language"] = "en"
    english = health.get("/dich-vu-cong/ho-so", {"period": PERIOD}).content.decode()
    assert "only your agency's dossiers" in english and "không phải" not in english
    ioc = _staff("ioc-l", "view_all_dossiers")
    assert 'id="dvc-limited"' not in ioc.get("/dich-vu-cong/ho-so", {"period": PERIOD}).content.decode()


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_every_list_an_indicator_links_to_is_named_and_kept_by_the_form(loaded):
    """A number on the agency page leads to a list filtered by a bucket (4.3's numerator: ``reuse``; 2.1's:
    four buckets at once): the chip names it in the page's language, never by its code, and the "Nhóm"
    dropdown has it selected, so that pressing "Lọc" to add another filter keeps it (it used to fall back
    to "—" and the count jumped to every dossier)."""
    import html as html_lib

    from tinhso.dossiers.views import INDICATOR_LISTS

    ioc = _staff("ioc-b", "view_all_dossiers")
    page = ioc.get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": PERIOD}).content.decode()
    links = {html_lib.unescape(h) for h in re.findall(r'href="(/dich-vu-cong/ho-so\?[^"]*bucket=[^"]*)"', page)}
    buckets = {b for parts in INDICATOR_LISTS.values() for b in parts if b}
    assert {"reuse", "from_store", "population_data"} <= buckets
    for bucket in buckets:  # every one an indicator can carry, linked on this page or not
        links.add(f"/dich-vu-cong/ho-so?period={PERIOD}&bucket={bucket}&agency={AGENCY}")
    for english in (False, True):
        client = _english(_staff(f"ioc-b{int(english)}", "view_all_dossiers")) if english else ioc
        for link in sorted(links):
            from urllib.parse import parse_qs, urlsplit

            bucket = parse_qs(urlsplit(link).query)["bucket"][0]
            html = client.get(link).content.decode()
            chip = re.search(r'<li data-filter="bucket">.*?<strong>(.*?)</strong>', html, re.S).group(1)
            for code in bucket.split(","):
                assert code not in chip, (link, chip)
            options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>',
                                 html.split('name="bucket"')[1].split("</select>")[0])
            assert [(v, label) for v, chosen, label in options if chosen] == [(html_lib.escape(bucket), chip)], link
            assert html_lib.escape(bucket) not in {label for _v, _c, label in options}
            # what the form sends back (its selected bucket with another filter) is the same list, narrowed
            total = service.list_dossiers({"period": PERIOD, "bucket": bucket, "agency": AGENCY}, page_size=1)["total"]
            shown = int(re.search(r'id="dvc-count" data-total="(\d+)"', html).group(1))
            assert shown == total, link
    english = _english(_staff("ioc-b2", "view_all_dossiers")).get(
        "/dich-vu-cong/ho-so", {"period": PERIOD, "bucket": "reuse"}).content.decode()
    assert "Reusing digitised data" in english and "Dùng lại" not in english


def test_the_indicator_table_names_each_indicator_and_gives_its_value_in_its_own_unit(loaded):
    """2.2 is the average working days per dossier, not a percent: each value carries its unit, each row
    names its indicator, in the page's language."""
    def rows(client):
        html = client.get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": PERIOD}).content.decode()
        table = html.split('class="dvc-indicators"')[1].split("</table>")[0]
        return table, {code: (name, value) for code, name, value in re.findall(
            r'<tr><td>([\d.a-z]+)</td><td class="dvc-name">(.*?)</td>.*?<td class="num dvc-value">(.*?)</td>', table, re.S)}

    unit = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)
    table, shown = rows(Client())
    assert "Tỷ lệ (%)" not in table and set(shown) == set(unit["indicators"])
    days = f"{unit['indicators']['2.2']['rate']:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    assert shown["2.2"] == ("Thời gian giải quyết TTHC trung bình", f"{days} ngày làm việc")
    assert shown["2.1"][0] == "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn" and shown["2.1"][1].endswith("%")
    assert shown["3.1"][0].startswith("Tỷ lệ TTHC") and all(name and name != code for code, (name, _v) in shown.items())
    table, shown = rows(_english(Client()))
    assert shown["2.2"] == ("Average processing time", f"{days.replace(',', '.')} working days")
    assert shown["4.3"][0] == "Dossiers reusing digitised data" and "ngày" not in table and "Tỷ lệ" not in table


def test_a_refused_agency_is_named_in_the_pages_language_only(loaded):
    health = _staff("health-b", "view_agency_dossiers", agencies=["so-y-te"])
    other = Agency.objects.get(code=AGENCY)
    answer = health.get("/dich-vu-cong/ho-so", {"agency": AGENCY})
    html = answer.content.decode()
    assert answer.status_code == 403 and other.name in html
    main = html.split("<main")[1].split("</main>")[0]
    assert AGENCY not in main and "may not" not in main and other.name_en not in main
    english = _english(health).get("/dich-vu-cong/ho-so", {"agency": AGENCY}).content.decode()
    main = english.split("<main")[1].split("</main>")[0]
    assert other.name_en in main and "may not see" in main and "quyền" not in main and AGENCY not in main


def test_a_page_past_the_last_shows_the_last_and_says_so(loaded):
    ioc = _staff("ioc-p", "view_all_dossiers")
    total = service.list_dossiers({"period": PERIOD}, page_size=1)["total"]
    pages = -(-total // 50)
    html = ioc.get("/dich-vu-cong/ho-so", {"period": PERIOD, "page": "99"}).content.decode()
    assert 'id="dvc-no-page"' in html and f"Không có trang 99: danh sách chỉ có {pages} trang" in html
    assert f"Trang {pages}/{pages}" in html and "Không có hồ sơ nào" not in html and 'rel="next"' not in html
    assert 'id="dvc-no-page"' not in ioc.get("/dich-vu-cong/ho-so", {"period": PERIOD}).content.decode()
    english = _english(ioc).get("/dich-vu-cong/ho-so", {"period": PERIOD, "page": "99"}).content.decode()
    assert f"There is no page 99: the list has only {pages} page" in english


def test_a_bad_reception_day_names_the_field_as_the_form_labels_it(loaded):
    ioc = _staff("ioc-d", "view_all_dossiers")
    for params, vi, en in (({"since": "abc"}, "Tiếp nhận từ ngày: ngày “abc” không hợp lệ", "Received on or after: invalid date"),
                           ({"until": "2025-13-01"}, "Tiếp nhận đến ngày: ngày", "Received on or before: invalid date"),
                           ({"since": "2025-10-05", "until": "2025-10-01"},
                            "“Tiếp nhận đến ngày” (01/10/2025) sớm hơn “Tiếp nhận từ ngày” (05/10/2025)",
                            "“Received on or before” (01/10/2025) is earlier than “Received on or after” (05/10/2025)")):
        answer = ioc.get("/dich-vu-cong/ho-so", params)
        message = re.search(r'<p class="error">(.*?)</p>', answer.content.decode(), re.S).group(1)
        assert answer.status_code == 400 and vi in html_unescape(message) and "since" not in message, message
        english = Client()
        english.force_login(answer.wsgi_request.user)
        message = re.search(r'<p class="error">(.*?)</p>', _english(english).get("/dich-vu-cong/ho-so", params)
                            .content.decode(), re.S).group(1)
        assert en in html_unescape(message) and "since" not in message and "ngày" not in message, message


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_periods_read_as_people_write_them():
    import datetime as dt

    from tinhso.dossiers import period_text
    from tinhso.dossiers.periods import parse

    today = dt.date(2026, 12, 4)
    cases = {"2026-W49": ("Tuần 49/2026 (30/11–06/12)", "Week 49, 2026 (30 Nov–6 Dec)"),
             "2026-W53": ("Tuần 53/2026 (28/12–03/01)", "Week 53, 2026 (28 Dec–3 Jan)"),
             "2026-12": ("Tháng 12/2026", "December 2026"), "2026-Q4": ("Quý IV/2026", "Q4 2026"),
             "2026-Q1": ("Quý I/2026", "Q1 2026"), "2026": ("Năm 2026", "2026")}
    for code, (vi, en) in cases.items():
        assert (period_text.label(parse(code), False), period_text.label(parse(code), True)) == (vi, en), code
    december = parse("2026-12")
    assert period_text.full_label(december, today, False) == "Tháng 12/2026 (đến ngày 04/12/2026)"
    assert period_text.full_label(december, today, True) == "December 2026 (to 4 Dec 2026)"
    assert period_text.partial_note(parse("2026-11"), today, False) == ""
    # the month in progress opens by default only once a third of it has passed
    assert period_text.default_period(today, "month").code == "2026-11"
    assert period_text.default_period(dt.date(2026, 12, 11), "month").code == "2026-12"
    assert period_text.default_period(dt.date(2026, 12, 2), "week").code == "2026-W49"  # a Wednesday
    assert period_text.default_period(dt.date(2026, 12, 1), "week").code == "2026-W48"  # a Tuesday: last week


def _visible(html: str) -> str:
    """The page's text a reader sees (no tags, no script, no attribute)."""
    body = re.sub(r"<script.*?</script>", "", html.split("<main")[1].split("</main>")[0], flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_the_page_names_periods_and_marks_the_one_in_progress(loaded, monkeypatch):
    """No raw period code ("2025-W42", "2025-Q4", "· 2025-10") in what a reader sees; a period not over
    yet says to which day its figures run, on the score, on the tabs and on the chart's point; in the
    first days of a month the page opens on the month before, which is complete."""
    import datetime as dt

    from django.core.cache import cache

    from tinhso.dossiers import engine

    monkeypatch.setattr(engine, "today_local", lambda: dt.date(2025, 10, 20))
    cache.clear()
    html = Client().get("/dich-vu-cong").content.decode()
    text = _visible(html)
    assert not re.search(r"\b\d{4}-(W\d\d|Q\d|\d\d)\b", text), re.findall(r"\S*\d{4}-\S+", text)
    heading = re.search(r'<h2>Điểm của tỉnh · (.*?)</h2>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", heading) == "Tháng 10/2025 (đến ngày 20/10/2025)"
    tabs = html.split('class="dvc-kinds"')[1].split("</nav>")[0]
    assert "Tuần 43/2025 (20/10–26/10)" in tabs and "Quý IV/2025" in tabs and "Năm 2025" in tabs
    assert tabs.count("(đến ngày 20/10/2025)") == 4
    series = json.loads(re.search(r'id="dvc-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    assert series["series"][-1]["partial"] is True and not any(s["partial"] for s in series["series"][:-1])
    assert series["series"][-1]["label"] == "Tháng 10/2025 (đến ngày 20/10/2025)" and series["labels"]["partial"]
    assert 'id="dvc-chart-note"' in html and 'id="dvc-default-help"' in html
    english = _english(Client()).get("/dich-vu-cong", {"period": "2025-W43"}).content.decode()
    assert not re.search(r"\b\d{4}-(W\d\d|Q\d|\d\d)\b", _visible(english))
    assert "Week 43, 2025 (20 Oct–26 Oct) <small" in english and "(to 20 Oct 2025)" in english
    assert "October 2025" in english and "Q4 2025" in english and "đến ngày" not in english
    agency = _english(Client()).get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": "2025-Q3"}).content.decode()
    assert not re.search(r"\b\d{4}-(W\d\d|Q\d|\d\d)\b", _visible(agency))
    assert '<span id="dvc-period">Q3 2025</span></h2>' in agency and 'id="dvc-chart-note"' not in agency
    # four days into the month the page opens on the complete month before
    monkeypatch.setattr(engine, "today_local", lambda: dt.date(2025, 10, 4))
    cache.clear()
    html = Client().get("/dich-vu-cong").content.decode()
    assert '<span id="dvc-period">Tháng 9/2025</span></h2>' in html and 'id="dvc-partial"' not in html
    # the dossier list names its period filter the same way
    chip = _staff("ioc-per", "view_all_dossiers").get("/dich-vu-cong/ho-so", {"period": PERIOD}).content.decode()
    assert re.search(r'data-filter="period">Kỳ: <strong>Tháng 10/2025 \(đến ngày 04/10/2025\)</strong>', chip)


def test_indicator_headings_are_translated_in_the_indicator_sense(loaded):
    """The shared catalogue (which Django reads first) has "Chỉ số" → "Index"; the agency page's
    indicator headings carry the "indicator" context, and no untranslated-by-context message of the
    dossier templates is translated otherwise by the shared catalogue than by the app's own."""
    from pathlib import Path

    import tinhso

    html = _english(Client()).get(f"/dich-vu-cong/co-quan/{AGENCY}", {"period": PERIOD}).content.decode()
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", html.split('class="dvc-indicators"')[1].split("</thead>")[0])
    assert heads[:2] == ["Code", "Indicator"] and "<h2>Indicators</h2>" in html and "Index" not in _visible(html)

    root = Path(tinhso.__file__).parent

    def catalogue(path):
        text = (root / path).read_text(encoding="utf-8")
        return {(m.group(1), m.group(2)): m.group(3) for m in re.finditer(
            r'(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?msgid "((?:[^"\\]|\\.)*)"\nmsgstr "((?:[^"\\]|\\.)*)"', text)}

    shared = catalogue("locale/en/LC_MESSAGES/django.po")
    own = catalogue("dossiers/locale/en/LC_MESSAGES/django.po")
    used = set()
    for template in (root / "dossiers/templates/dossiers").glob("*.html"):
        for msgid, context in re.findall(r'{% translate "([^"]+)"(?: context "([^"]+)")? %}', template.read_text()):
            used.add((context or None, msgid))
    clashes = {k: (own[k], shared[k]) for k in used if k in own and k in shared and own[k] != shared[k]}
    assert clashes == {}
