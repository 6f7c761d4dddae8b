"""Scoring through svc-766, competition ranks among agencies and among communes, supplied values, due soon."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.dossiers.conftest import PERIOD, write_json
from tests.dossiers.known import AGENCY, KNOWN, dossier
from tinhso.dossiers import service
from tinhso.dossiers.models import Agency, SuppliedValue
from tinhso.indices.methodology import load_method

pytestmark = pytest.mark.django_db


EXEMPLARY = {"KenhThucHien": 2, "DuocThanhToanTrucTuyen": 1, "HoSoCoThanhPhanSoHoa": 1,
             "TaiKhoanDuocXacThucVoiVNeID": 1, "DanhSachLePhi": [{"Gia": 50000}],
             "TaiLieuNop": [{"DuongDanTaiTepTin": "/a.pdf", "DuocLayTuKhoDMQG": 1}],
             "DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "/kq.pdf"}]}


def _on_time(ma, agency):
    """On time, online, paid online, digitised, reusing data, with an e-result: full marks from records."""
    return dict(dossier(ma, 10, "01/10/2025 08:00:00", "08/10/2025 08:00:00", "06/10/2025 10:00:00"),
                DonViXuLy=agency, **EXEMPLARY)


def test_groups_total_and_competition_ranks(catalogue, tmp_path):
    communes = list(Agency.objects.filter(kind="commune").order_by("code")[:3])
    records = list(KNOWN) + [_on_time("Y-1", "so-y-te"), _on_time("Y-2", "so-y-te"),
                             _on_time("C-1", communes[0].code), _on_time("C-2", communes[1].code),
                             dict(dossier("C-3", 10, "01/10/2025 08:00:00", "02/10/2025 08:00:00",
                                          "03/10/2025 08:00:00"), DonViXuLy=communes[2].code)]
    service.import_file(write_json(tmp_path / "r.json", records))
    doc = service.indicators(PERIOD, "agency")
    by_code = {u["code"]: u for u in doc["units"]}
    health, justice = by_code["so-y-te"], by_code[AGENCY]
    method = load_method("svc-766")
    for unit in (health, justice):
        assert unit["total"] == pytest.approx(sum(unit["groups"].values()), abs=0.01)
        assert unit["groups"]["progress"] == unit["indicators"]["2.1"]["points"]
        assert unit["total"] <= method.nodes["total"].max
    assert health["indicators"]["2.1"]["rate"] == 100.0
    assert health["total"] == 100.0  # every supplied value is 100 in the fixture
    assert health["rank"] == 1 and justice["rank"] == 2
    # the province counts every agency's dossiers, also of a procedure several agencies handle
    (province,) = service.indicators(PERIOD, "province")["units"]
    agencies = [u for level in ("agency", "commune") for u in service.indicators(PERIOD, level)["units"]
                if u["indicators"]]
    for code in ("2.1", "3.3", "3.6", "4.2", "4.5b", "5.4"):
        assert province["indicators"][code]["numerator"] == sum(u["indicators"][code]["numerator"] for u in agencies)
    # departments without dossiers are listed without a score
    assert by_code["so-noi-vu"]["total"] is None and by_code["so-noi-vu"]["rank"] is None
    # communes are ranked among communes: two tie on top (1, 1), the late one third
    ranked = {u["code"]: u["rank"] for u in service.indicators(PERIOD, "commune")["units"] if u["rank"]}
    assert ranked == {communes[0].code: 1, communes[1].code: 1, communes[2].code: 3}


def test_sources_and_missing_supplied_values(catalogue, tmp_path):
    service.import_file(write_json(tmp_path / "r.json", KNOWN))
    unit = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)
    ind = unit["indicators"]
    assert ind["1.4"]["source"] == "supplied" and ind["5.2"]["source"] == "supplied"
    assert ind["1.3"]["source"] == "records" and (ind["1.3"]["numerator"], ind["1.3"]["denominator"]) == (1, 1)
    assert ind["5.4"]["source"] == "records"
    # an agency's own value for a period beats the province-wide one
    SuppliedValue.objects.create(indicator="1.4", agency=Agency.objects.get(code=AGENCY), period=PERIOD, value=50)
    unit = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)
    assert unit["indicators"]["1.4"]["rate"] == 50
    online_share = 100 * 4 / 10
    assert unit["indicators"]["3.3"]["rate"] == pytest.approx(online_share * 0.5)
    full = unit["total"]
    # without a supplied 5.2 the total counts it as 0 points, says what is missing and out of how much
    SuppliedValue.objects.filter(indicator="5.2").delete()
    unit = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)
    assert unit["missing"] == ["5.2"] and unit["total_basis"] == "missing_as_zero"
    assert unit["max_possible"] == 94 and unit["rank"] == 1
    assert unit["total"] == pytest.approx(full - 6, abs=0.01)  # 5.2 at 100 % was worth its 6 points


def test_a_fresh_installation_gets_totals_and_ranks_without_supplied_values(catalogue, cli, tmp_path):
    """No supplied value at all (a plain `tinhso init`): totals and ranks from what the records give, the
    missing indicators named, the basis stated."""
    SuppliedValue.objects.all().delete()
    service.import_file(write_json(tmp_path / "r.json", KNOWN))
    code, out, err = cli("dossiers", "indicators", "--period", PERIOD, "--by", "agency", "--json")
    assert code == 0, err
    unit = next(u for u in json.loads(out)["units"] if u["code"] == AGENCY)
    assert unit["total"] is not None and unit["rank"] == 1
    assert set(unit["missing"]) == {"1.1", "1.2", "1.4", "3.3", "4.2c", "5.2", "5.3"}
    assert unit["total_basis"] == "missing_as_zero" and unit["max_possible"] < 100
    assert 0 < unit["total"] <= unit["max_possible"]
    assert all(v is not None for v in unit["groups"].values())
    code, out, err = cli("dossiers", "indicators", "--period", PERIOD, "--by", "agency")
    assert code == 0 and "missing: 1.1, 1.2, 1.4, 3.3, 4.2c, 5.2, 5.3 — " in out and "counted as 0 points" in out, out


def test_due_soon_per_agency_and_officer(catalogue, cli, tmp_path):
    service.import_file(write_json(tmp_path / "r.json", KNOWN))
    # Friday 17 Oct 09:00 + 24 working hours reaches Wednesday 22 Oct; HS-08 is due Monday 20 Oct 08:00
    code, out, err = cli("dossiers", "due-soon", "--now", "2025-10-17T09:00:00", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["count"] == 1
    (agency,) = doc["agencies"]
    assert agency["code"] == AGENCY and agency["officers"][0]["officer"] == "can-bo-a"
    assert agency["officers"][0]["dossiers"][0]["MaHoSo"] == "HS-08-UNFINISHED-LATE"
    # one working hour is not enough; the paused dossier HS-11 is never in the list
    assert service.due_soon(1, now=dt.datetime(2025, 10, 17, 9))["count"] == 0
    assert service.due_soon(24, now=dt.datetime(2025, 10, 24, 9))["count"] == 0


def test_bad_period_level_and_empty_store(catalogue, cli):
    assert cli("dossiers", "indicators", "--period", "2025-13", "--json")[0] == 2
    doc = service.indicators(PERIOD, "agency")
    assert all(u["total"] is None for u in doc["units"])
    assert service.due_soon(24)["count"] == 0


def test_a_period_not_over_is_judged_today(catalogue, tmp_path):
    service.import_file(write_json(tmp_path / "r.json", KNOWN))

    def buckets(**kw):
        return next(u for u in service.indicators(PERIOD, **kw)["units"] if u["code"] == AGENCY)["buckets"]

    ended = buckets()
    assert (ended["in_progress_within"], ended["in_progress_over"]) == (1, 2)
    # on 15 October, HS-08 (due 20 October) is not late yet; HS-13 (due 30 September) is
    middle = buckets(today=dt.date(2025, 10, 15))
    assert (middle["in_progress_within"], middle["in_progress_over"]) == (2, 1)


def test_feedback_records_give_5_1_to_5_3(catalogue, cli, tmp_path):
    service.import_file(write_json(tmp_path / "r.json", KNOWN))
    pakn = [
        # handled on time; handled late; open past its due date at the period's end; open, due later but
        # rated unsatisfied; received in November (outside); another agency's
        {"MaPAKN": "P1", "DonViXuLy": AGENCY, "NgayTiepNhan": "01/10/2025 08:00:00", "NgayXuLy": "10/10/2025 08:00:00"},
        {"MaPAKN": "P2", "DonViXuLy": AGENCY, "NgayTiepNhan": "01/10/2025 08:00:00", "HanXuLy": "05/10/2025 17:00:00",
         "NgayXuLy": "06/10/2025 08:00:00", "PhanLoai": 2},
        {"MaPAKN": "P3", "DonViXuLy": AGENCY, "NgayTiepNhan": "02/10/2025 08:00:00", "HanXuLy": "20/10/2025 17:00:00"},
        {"MaPAKN": "P4", "DonViXuLy": AGENCY, "NgayTiepNhan": "28/10/2025 08:00:00", "KhongHaiLong": 1,
         "PhanLoai": "hanh-vi"},
        {"MaPAKN": "P5", "DonViXuLy": AGENCY, "NgayTiepNhan": "03/11/2025 08:00:00"},
        {"MaPAKN": "P6", "DonViXuLy": "so-y-te", "NgayTiepNhan": "03/10/2025 08:00:00"},
    ]
    code, out, err = cli("dossiers", "feedback", write_json(tmp_path / "pakn.json", pakn))
    assert code == 0, err
    ind = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)["indicators"]
    assert (ind["5.2"]["numerator"], ind["5.2"]["denominator"], ind["5.2"]["source"]) == (2, 4, "records")
    assert (ind["5.3"]["numerator"], ind["5.3"]["denominator"]) == (1, 4)  # P1 only: P2, P3 late, P4 unhappy
    assert (ind["5.1"]["numerator"], ind["5.1"]["points"]) == (2, None)  # monitored, not scored
    bad = [{"MaPAKN": "P7", "DonViXuLy": "khong-co", "NgayTiepNhan": "hôm nay"}]
    code, _, err = cli("dossiers", "feedback", write_json(tmp_path / "bad.json", bad))
    assert code == 2 and "record 1, DonViXuLy" in err and "record 1, NgayTiepNhan" in err


def test_many_periods_in_one_pass_equal_one_at_a_time(catalogue, tmp_path):
    from tinhso.dossiers.indicators import compute_many

    service.import_file(write_json(tmp_path / "k.json", KNOWN))
    # a later sync finishes a dossier and moves another's reception: the current version must win
    later = [dict(r) for r in KNOWN if r["MaHoSo"] in ("HS-08-UNFINISHED-LATE", "HS-07-UNFINISHED-OK")]
    later[0].update(TrangThaiHoSo=10, NgayKetThucXuLy="05/11/2025 09:00:00")
    later[1].update(NgayTiepNhan="02/09/2025 08:00:00", NgayNopHoSo="02/09/2025 08:00:00",
                    NgayHenTra="09/09/2025 08:00:00")
    service.import_file(write_json(tmp_path / "later.json", later))
    periods = ["2025-09", "2025-10", "2025-W42", "2025-Q4"]
    today = dt.date(2025, 12, 15)
    many = compute_many(periods, ("agency", "commune", "province"), today=today)
    assert len(many) == 12
    for (period, level), doc in many.items():
        assert doc == service.indicators(period, level, today=today)


def test_an_unfinished_dossier_is_not_yet_without_an_e_result(catalogue, tmp_path):
    """3.3 and 4.2 need an e-result where the procedure gives a paper result (T.2); a dossier still being
    processed cannot have one yet, so it is left out of both rates instead of counting as a failure."""
    files = {"TaiLieuNop": [{"DuongDanTaiTepTin": "/a.pdf"}]}
    result = {"DanhSachGiayToKetQua": [{"DuongDanTepTinKetQua": "/kq.pdf"}]}

    def paper(ma, status, end=None, channel=2, **extra):
        return dict(dossier(ma, status, "01/10/2025 08:00:00", "02/10/2025 08:00:00", end, channel=channel),
                    MaTTHC="T.2", **extra)

    records = [
        paper("P-1-DONE-E", 10, "02/10/2025 08:00:00", **files, **result),  # online, digitised, e-result: counts
        paper("P-2-DONE-NO-E", 10, "02/10/2025 08:00:00", **files),  # finished without an e-result: fails both
        paper("P-3-OPEN", 4, **files),  # online and digitised, still in progress: undecided, left out
        paper("P-4-OPEN-DIRECT", 4, channel=1),  # in progress but neither online nor digitised: fails both
    ]
    service.import_file(write_json(tmp_path / "p.json", records))
    unit = next(u for u in service.indicators(PERIOD)["units"] if u["code"] == AGENCY)
    ind = unit["indicators"]
    assert (ind["3.3"]["numerator"], ind["3.3"]["denominator"]) == (1, 3)
    assert (ind["4.2"]["numerator"], ind["4.2"]["denominator"]) == (1, 3)
    assert ind["3.3"]["rate"] == pytest.approx(100 / 3, abs=1e-3)  # 1.4 is 100 in the fixture


def test_pakn_counts_from_the_table_read_once_equal_the_query_per_period(catalogue):
    """feedback.counts_in over the rows read once (indicators.Context) counts what a query per period
    counts: received by the period's end, not handled before its start, moments on either side of
    local midnight included."""
    import random
    from collections import defaultdict

    from django.utils import timezone

    from tinhso.core.workcalendar import VIETNAM_TZ
    from tinhso.dossiers import feedback
    from tinhso.dossiers.models import Agency, Feedback, FeedbackKind

    agencies = list(Agency.objects.all()[:3])
    rng = random.Random(7)
    base = dt.datetime(2025, 9, 1, tzinfo=VIETNAM_TZ)

    def moment():
        day = base + dt.timedelta(days=rng.randrange(0, 120))
        return day + rng.choice([dt.timedelta(0), dt.timedelta(seconds=-1), dt.timedelta(hours=rng.randrange(24))])

    for i in range(400):
        received = moment()
        handled = received + dt.timedelta(days=rng.randrange(0, 40), seconds=rng.choice([0, -1, 3600]))
        Feedback.objects.create(code=f"P{i}", agency=rng.choice(agencies), kind=rng.choice(FeedbackKind.values),
                                received_at=received, due_at=received + dt.timedelta(days=rng.randrange(1, 20)),
                                handled_at=None if rng.random() < 0.3 else handled, dissatisfied=rng.random() < 0.2)

    def per_query(start, end, judge):  # the former implementation: one query per period
        out = defaultdict(lambda: defaultdict(int))
        first = dt.datetime.combine(start, dt.time(), VIETNAM_TZ)
        after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), VIETNAM_TZ)
        for agency, kind, due_at, handled_at, unhappy in Feedback.objects.filter(received_at__lt=after).exclude(
                handled_at__lt=first).values_list("agency_id", "kind", "due_at", "handled_at", "dissatisfied"):
            due = timezone.localtime(due_at, VIETNAM_TZ).date()
            handled = timezone.localtime(handled_at, VIETNAM_TZ).date() if handled_at else None
            finished = handled is not None and handled <= end
            on_time = handled <= due if finished else due >= judge
            c = out[agency]
            c["scope"] += 1
            c["on_time"] += on_time
            c["unhappy_or_late"] += bool(unhappy) or not on_time
            c["regulation"] += kind == FeedbackKind.REGULATION
        return {a: dict(c) for a, c in out.items()}

    rows = feedback.table()
    for start, end in [(dt.date(2025, 9, 1), dt.date(2025, 9, 30)), (dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
                       (dt.date(2025, 10, 13), dt.date(2025, 10, 19)), (dt.date(2026, 1, 1), dt.date(2026, 1, 31))]:
        for judge in (end, end - dt.timedelta(days=3)):
            expected = per_query(start, end, judge)
            assert expected, "the drawn rows reach every period"
            assert {a: dict(c) for a, c in feedback.counts_in(rows, start, end, judge).items()} == expected


def test_supply_accepts_only_the_indicators_a_supplied_value_gives(catalogue, cli):
    from tinhso.dossiers.scoring import SUPPLIABLE

    for code in ("2.1", "3.6", "5.4", "9.9"):
        status, out, err = cli("dossiers", "supply", code, "50")
        assert status == 2 and code in err and "1.4" in err and out == "", (code, err)
        assert not SuppliedValue.objects.filter(indicator=code).exists()
    for code in SUPPLIABLE:
        status, out, err = cli("dossiers", "supply", code, "80", "--period", PERIOD)
        assert status == 0, err
        assert SuppliedValue.objects.get(indicator=code, period=PERIOD).value == 80
