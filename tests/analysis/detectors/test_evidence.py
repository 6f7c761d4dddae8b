"""A finding's evidence leads to exactly the records its sentence counts: one link per record counted
(numerator told apart from the rest of the denominator), at most RECORD_CAP with "and N more", and
pages that count otherwise shown apart as context, never as evidence."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from tests.analysis.detectors.conftest import MONTH
from tests.analysis.detectors.test_detectors import _bulk, _communes, _seasonal_rows
from tinhso.analysis import links, render
from tinhso.analysis.detectors import run_all
from tinhso.analysis.detectors._common import RECORD_CAP
from tinhso.analysis.findings import Context

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _linked(finding) -> dict[str, str]:
    """{record code: label (vi)} of a finding's record links."""
    out = {}
    for link in finding.links:
        code = links.record_code(link.url)
        if code:
            out[code] = link.label_vi
    return out


def _doc(findings, lang: str = "vi") -> dict:
    data = {"findings": [json.loads(json.dumps(f.as_dict(), default=str)) for f in findings]}
    return [render.finding_view(f, lang, link=links.for_page({c: f"/ioc/phan-anh/{c}" for c in links.record_codes(data)}))
            for f in data["findings"]]


def _reports(unit, commune, category, rows):
    from tinhso.reports.models import Report, generate_tracking_code

    objs = []
    for created, due, resolved in rows:
        objs.append(Report(code=generate_tracking_code(), category=category, commune=commune, province_code="68",
                           description="[Mô phỏng] test", lat=commune.lat, lon=commune.lon, created_at=created,
                           updated_at=created, state="closed" if resolved else "in_progress", is_open=not resolved,
                           synthetic=True, resolved_at=resolved, handle_due=due, handling_unit=unit))
    Report.objects.bulk_create(objs)
    return [o.code for o in objs]


def test_on_time_evidence_is_the_reports_resolved_in_the_month_not_those_received(province):
    from tinhso.reports.models import Category, HandlingUnit

    traffic = Category.objects.get(code="traffic")
    commune = _communes(1)[0]
    unit = HandlingUnit.objects.get(commune=commune)
    history = []
    for month in range(6, 10):  # 12 reports a month resolved well before their deadline
        for k in range(12):
            created = dt.datetime(2025, month, 2 + 2 * k, 9, tzinfo=VN)
            history.append((created, created + dt.timedelta(days=5), created + dt.timedelta(days=2)))
    _reports(unit, commune, traffic, history)
    # Received in September, resolved late in October: counted (the month of resolution) …
    late_sep = _reports(unit, commune, traffic, [
        (dt.datetime(2025, 9, 25 + k, 9, tzinfo=VN), dt.datetime(2025, 9, 30, 9, tzinfo=VN),
         dt.datetime(2025, 10, 3, 9, tzinfo=VN)) for k in range(4)])
    # … received in October: 15 resolved late, 2 on time in it, 3 still open (not counted).
    late_oct = _reports(unit, commune, traffic, [
        (dt.datetime(2025, 10, 1 + k, 9, tzinfo=VN), dt.datetime(2025, 10, 3 + k, 9, tzinfo=VN),
         dt.datetime(2025, 10, 10 + k, 9, tzinfo=VN)) for k in range(15)])
    on_time = _reports(unit, commune, traffic, [
        (dt.datetime(2025, 10, 20 + k, 9, tzinfo=VN), dt.datetime(2025, 10, 28, 9, tzinfo=VN),
         dt.datetime(2025, 10, 22 + k, 9, tzinfo=VN)) for k in range(2)])
    _reports(unit, commune, traffic, [(dt.datetime(2025, 10, 25, 9, tzinfo=VN), None, None)] * 3)

    found = [f for f in run_all(Context(month=MONTH), kinds=["units_behind"])
             if f.unit_code == unit.code and f.subject["measure"] == "on_time"]
    assert len(found) == 1, [(f.unit_code, f.subject) for f in run_all(Context(month=MONTH), kinds=["units_behind"])]
    f = found[0]
    assert (f.figures["numerator"], f.figures["count"]) == (2, 21)
    linked = _linked(f)
    # Exactly the denominator: the 21 reports resolved in October (4 of them received in September) …
    assert set(linked) == set(late_sep + late_oct + on_time) and f.more_records == 0
    # … the numerator told apart, the late ones first.
    assert sorted(c for c, label in linked.items() if label.endswith("(đúng hạn)")) == sorted(on_time)
    assert [c for c in linked][:19] and all(linked[c].endswith("(trễ hạn)") for c in list(linked)[:19])
    # The statistics page (reports received in the month) is context, not evidence.
    view = _doc([f])[0]
    assert not any("thong-ke" in (link["url"] or "") for link in view["links"])
    assert [link["url"].split("?")[0] for link in view["context"]] == ["/phan-anh/thong-ke"]
    assert len(view["links"]) == 21 and view["more"] == ""


def test_rising_category_evidence_is_the_months_reports_of_the_commune_and_category(province):
    from tinhso.reports.models import Category, Report

    environment = Category.objects.get(code="environment")
    communes = _communes(4)
    _bulk(_seasonal_rows(communes, environment, until=dt.date(2025, 11, 1), boost={2: 2.5}))
    found = [f for f in run_all(Context(month=MONTH), kinds=["rising_category"]) if f.subject["scope"] == "commune"]
    assert [f.unit_code for f in found] == [communes[2].code]
    f = found[0]
    counted = set(Report.objects.filter(category=environment, commune=communes[2], created_at__gte=dt.datetime(
        2025, 10, 1, tzinfo=VN), created_at__lt=dt.datetime(2025, 11, 1, tzinfo=VN)).values_list("code", flat=True))
    assert len(counted) == f.figures["observed"]
    linked = _linked(f)
    assert len(linked) == min(RECORD_CAP, len(counted)) and set(linked) <= counted
    assert len(linked) + f.more_records == f.figures["observed"]
    # No list page that shows other figures (published reports only, any month) as evidence.
    assert all(links.record_code(link.url) for link in f.links)
    view = _doc([f])[0]
    if f.more_records:
        assert view["more"] == f"và {f.more_records} phản ánh khác"


def test_a_rise_from_almost_nothing_says_so_instead_of_a_huge_ratio(province):
    from tinhso.reports.models import Category

    environment, traffic = Category.objects.get(code="environment"), Category.objects.get(code="traffic")
    communes = _communes(4)
    _bulk(_seasonal_rows(communes, traffic, until=dt.date(2025, 11, 1), seed=2))
    rows = _seasonal_rows(communes[:3], environment, until=dt.date(2025, 11, 1), seed=3)
    # The fourth commune never had an environment report; in October it has 16.
    rows += [{"category": environment, "commune": communes[3],
              "created_at": dt.datetime(2025, 10, 2 + k, 9, tzinfo=VN)} for k in range(16)]
    _bulk(rows)
    found = [f for f in run_all(Context(month=MONTH), kinds=["rising_category"])
             if f.unit_code == communes[3].code and f.subject["category"] == "environment"]
    assert len(found) == 1
    f = found[0]
    assert f.figures["expected"] < 0.5 and f.figures["history_count"] == 0
    vi, en = _doc([f], "vi")[0]["finding"], _doc([f], "en")[0]["finding"]
    assert "gần như không có (0 phản ánh loại này trong" in vi and "gấp" not in vi and "0,0" not in vi, vi
    assert "up from almost none (0 such reports in the previous" in en and "times" not in en, en
    assert len(_linked(f)) == 16 and f.more_records == 0


def test_record_links_are_capped_with_the_rest_counted(province):
    from tinhso.reports.models import Category, HandlingUnit

    traffic = Category.objects.get(code="traffic")
    commune = _communes(1)[0]
    unit = HandlingUnit.objects.get(commune=commune)
    rows = []
    for month in range(6, 10):  # about 10 open reports at each month end before October …
        for k in range(10):
            created = dt.datetime(2025, month, 2 + 2 * k, 9, tzinfo=VN)
            rows.append((created, None, created + dt.timedelta(days=40)))
    # … and 40 open at the end of October.
    rows += [(dt.datetime(2025, 10, 1, 9, tzinfo=VN) + dt.timedelta(hours=17 * k), None, None) for k in range(40)]
    _reports(unit, commune, traffic, rows)
    found = [f for f in run_all(Context(month=MONTH), kinds=["units_behind"])
             if f.unit_code == unit.code and f.subject["measure"] == "backlog"]
    assert len(found) == 1
    f = found[0]
    assert len(_linked(f)) == RECORD_CAP and len(_linked(f)) + f.more_records == f.figures["observed"]
    html = render.html({"findings": [json.loads(json.dumps(f.as_dict(), default=str))], **_empty_head()}, "vi",
                       standalone=False, link=links.for_page({}))
    assert f"và {f.more_records} phản ánh khác" in html
    assert "Tham khảo (số liệu tính theo cách khác):" in html


def _empty_head() -> dict:
    return {"headline": {"scope": {"name": "Tỉnh", "kind": "province"}, "month": "2025-10",
                         "reports": {"available": False, "items": []},
                         "dossiers": {"available": False, "items": []},
                         "plan": {"available": False, "compared": False, "changed": []}}}
