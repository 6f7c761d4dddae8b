"""The wall's public-service figures come from the dossier store, computed off the request path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from tests.dossiers.conftest import PERIOD, catalogue, store_dir, write_json  # noqa: F401
from tests.dossiers.known import BUCKETS_PAUSE, KNOWN, ON_TIME_PAUSE
from tinhso.dossiers import service
from tinhso.ioc import services, summary

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 10, 31)


def test_no_dossier_data_says_so(catalogue):  # noqa: F811
    assert services.compute(TODAY)["available"] is False


def test_figures_are_the_dossier_indicators(catalogue, tmp_path):  # noqa: F811
    service.import_file(write_json(tmp_path / "known.json", KNOWN))
    figures = services.compute(TODAY)
    assert figures["available"] is True and figures["period"] == PERIOD and figures["synthetic"] is False
    assert figures["received"] == BUCKETS_PAUSE["received"]
    on_time, total = ON_TIME_PAUSE
    assert figures["on_time_rate"] == round(on_time / total, 4)
    province = service.indicators(PERIOD, level="province", today=TODAY)["units"][0]
    assert figures["score_766"] == province["total"] and figures["groups"] == province["groups"]
    assert [a["code"] for a in figures["agencies"]] == [
        u["code"] for u in sorted(service.indicators(PERIOD, level="agency", today=TODAY)["units"],
                                  key=lambda u: (u["rank"] is None, u["rank"] or 0))]
    assert cache.get(services.KEY) == figures


def test_the_wall_never_waits_for_the_computation(catalogue, monkeypatch, tmp_path):  # noqa: F811
    assert services.block() == {"available": False}  # an empty store: nothing to compute
    service.import_file(write_json(tmp_path / "known.json", KNOWN))
    started = []
    monkeypatch.setattr(services.threading, "Thread", lambda **kw: type("T", (), {"start": lambda self: started.append(kw)})())
    assert services.block() == {"available": False, "pending": True}
    assert len(started) == 1 and started[0]["target"] is services._background
    assert services.block() == {"available": False, "pending": True}
    assert len(started) == 1  # one computation at a time (a lease in the shared cache)
    cache.set(services.KEY, {"available": True, "as_of": dt.datetime.now(dt.UTC).isoformat(), "received": 3})
    assert summary.dossier_block(None, "month", None)["received"] == 3


def _elsewhere(agency: str, prefix: str, days: list[int]) -> list[dict]:
    """Dossiers received online on these days of October 2025 at another agency."""
    from tests.dossiers.known import dossier

    records = []
    for i, day in enumerate(days):
        record = dossier(f"{prefix}-{i}", 4, f"{day:02d}/10/2025 08:00:00", "20/11/2025 08:00:00", channel=2)
        record["DonViXuLy"] = agency
        records.append(record)
    return records


def test_the_dossier_tiles_follow_the_unit_and_the_period(catalogue, world, tmp_path):  # noqa: F811
    """A commune chairman's wall shows their committee's dossiers, not the province's; today, this week
    and this month count what was received in those days, against the same span before; the 766 figures
    say which calendar period they are of (no 766 figure exists per day)."""
    from tinhso.dossiers.models import Agency, AgencyKind

    committee = Agency.objects.get(kind=AgencyKind.COMMUNE, unit=world.pt.commune).code
    records = KNOWN + _elsewhere("so-y-te", "YT", [31, 31, 30, 24, 2]) + _elsewhere(committee, "PT", [31, 28, 21])
    service.import_file(write_json(tmp_path / "known.json", records))
    services.compute(TODAY)  # 31 Oct 2025 is a Friday: this week began on Monday 27 Oct

    province = summary.summary(period="month", today=TODAY)["dossiers"]
    assert province["scope"] is None and province["received"] == BUCKETS_PAUSE["received"] + 5 + 3

    commune = summary.summary(period="month", unit=world.pt.code, today=TODAY)["dossiers"]
    assert commune["scope"] == committee and commune["received"] == 3 and commune["online_rate"] == 1.0
    assert commune["rank"] is not None and commune["rank_of"] >= 1
    assert [r["code"] for r in commune["communes"]].count(committee) == 1
    assert commune["basis_period"] == PERIOD and commune["basis_matches"] is True
    today = summary.summary(period="today", unit=world.pt.code, today=TODAY)["dossiers"]
    assert (today["received"], today["received_previous"], today["received_change"]) == (1, 0, 1)
    assert today["basis"] == "month" and today["basis_matches"] is False  # said on the tile, not passed off as today's
    week = summary.summary(period="week", unit=world.pt.code, today=TODAY)["dossiers"]
    assert (week["received"], week["received_previous"]) == (2, 1) and week["basis_period"] == "2025-W44"

    department = summary.summary(period="today", unit="so-y-te", today=TODAY)["dossiers"]
    assert (department["received"], department["received_previous"]) == (2, 1)  # 31 Oct; 30 Oct
    justice = service.indicators(PERIOD, level="agency", today=TODAY)["units"]
    health = next(u for u in justice if u["code"] == "so-y-te")
    assert summary.summary(period="month", unit="so-y-te", today=TODAY)["dossiers"]["score_766"] == health["total"]

    # A unit that handles no dossiers (the IOC) says so rather than showing the province's.
    from tinhso.reports.models import HandlingUnit, UnitKind

    HandlingUnit.objects.create(code="ioc-test", name="IOC", kind=UnitKind.IOC)
    cache.delete("ioc:names:2")  # the wall's unit names are kept a minute
    none = summary.summary(period="month", unit="ioc-test", today=TODAY)["dossiers"]
    assert none["available"] is False and none["no_agency"] is True and "received" not in none


def test_the_dossier_tiles_say_what_they_count_and_of_which_period(catalogue, world, client, tmp_path):  # noqa: F811
    from django.contrib.auth import get_user_model

    service.import_file(write_json(tmp_path / "known.json", KNOWN))
    services.compute(TODAY)
    client.force_login(get_user_model().objects.create_superuser("wall-admin", "w@example.org", "x"))
    page = client.get("/ioc?period=today").content.decode()
    definitions = summary.DEFINITIONS
    for key in ("dossiers_received", "dossiers_online_rate", "dossiers_on_time_rate", "dossiers_due_soon", "score_766"):
        assert f'title="{definitions[key][0]}"' in page, key
    assert 'data-change="dossiers.received_change"' in page and 'data-change="dossiers.score_766_change"' in page
    assert f"tháng {PERIOD}" in page and "không có số theo ngày" in page  # today's wall: the 766 figures are the month's
    assert "/dich-vu-cong/ho-so?period=2025-10&amp;bucket=received" in page  # the dossiers behind the number
    english = client.get("/ioc?period=week", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "against the week before" in english and 'id="commune-league"' in english
