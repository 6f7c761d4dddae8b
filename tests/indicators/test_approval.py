"""The planner's workspace: the data-entry form (validation per field), the approval step by a
second person before a figure counts (progress, charts, open data), the notifications, the charts
and the plans grouped by current province."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
from django.test import Client

from tests.accounts import role_user
from tinhso.core.errors import UserError
from tinhso.indicators import approval, charts, entry, plans, setup, status
from tinhso.indicators.models import Observation, ObservationReview, Plan, ReviewDecision
from tinhso.notify.models import Message

pytestmark = pytest.mark.django_db
PLAN = "bt-nq10-2022"
TODAY = dt.date(2026, 6, 1)
SOURCE = "seed-000-bt-cau-truc-cds"


@pytest.fixture
def demo():
    setup.load_demo(out=lambda *a, **k: None)


@pytest.fixture
def planners(demo):
    return role_user("p-enter", "planner"), role_user("p-approve", "planner")


def _fibre(plan_code=PLAN) -> dict:
    return {e["code"]: e for e in status.plan_status(plan_code, 2025)["indicators"]}["fibre-coverage"]


def _enter(user, period=2025, **fields):
    data = {"source": SOURCE, **fields}
    return entry.submit(status.get_plan(PLAN), period, data, user, today=TODAY)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the approval rule --------------------------------------------------------------------------

def test_an_entered_value_counts_only_after_a_second_person_approves_it(planners):
    enterer, approver = planners
    before = _fibre()
    sub = _enter(enterer, **{"v-fibre-coverage": "97,5"})
    assert sub.ok and len(sub.created) == 1
    obs = sub.created[0]
    assert obs.review_required and obs.review_state == "pending"
    # Pending: not in progress, not in the chart, not in open data.
    assert _fibre()["series"] == before["series"]
    item = charts.plan_items(status.get_plan(PLAN)).get(indicator__code="fibre-coverage")
    assert 97.5 not in charts.indicator_chart(item, status.params_for(item.plan))["observed"]
    assert not Observation.objects.counted().filter(pk=obs.pk).exists()
    from tinhso.opendata.generated import indicators as open_indicators
    published = open_indicators()
    rows = published[1] if isinstance(published, tuple) else published
    assert "97.5" not in repr(rows)
    # The person who entered it cannot approve it.
    with pytest.raises(UserError) as same:
        approval.decide(obs, enterer, ReviewDecision.APPROVED)
    assert same.value.code == "same_person"
    assert not ObservationReview.objects.exists()
    # A second person approves: now it counts everywhere.
    approval.decide(obs, approver, ReviewDecision.APPROVED, note="Đúng báo cáo")
    assert [2025, 97.5] in _fibre()["series"]
    assert 97.5 in charts.indicator_chart(item, status.params_for(item.plan))["observed"]
    assert "97.5" in repr(open_indicators())
    # Decided once: a second decision is refused.
    with pytest.raises(UserError) as again:
        approval.decide(obs, approver, ReviewDecision.REJECTED)
    assert again.value.code == "already_reviewed"


def test_a_rejected_value_never_counts_and_the_earlier_figure_stays(planners):
    enterer, approver = planners
    first = _enter(enterer, **{"v-fibre-coverage": "95"}).created[0]
    approval.decide(first, approver, ReviewDecision.APPROVED)
    second = _enter(enterer, **{"v-fibre-coverage": "99"}).created[0]
    assert second.supersedes_id == first.pk
    approval.decide(second, approver, ReviewDecision.REJECTED, note="Sai nguồn")
    assert [2025, 95.0] in _fibre()["series"] and [2025, 99.0] not in _fibre()["series"]
    assert second.review_state == "rejected"
    # Entering 99 again after a rejection is a new entry (revising the counted 95), not "unchanged".
    third = _enter(enterer, **{"v-fibre-coverage": "99"})
    assert len(third.created) == 1 and third.created[0].supersedes_id == first.pk


def test_only_the_newest_entry_of_a_period_can_be_decided(planners):
    enterer, approver = planners
    old = _enter(enterer, **{"v-fibre-coverage": "95"}).created[0]
    _enter(enterer, **{"v-fibre-coverage": "96"})
    with pytest.raises(UserError) as err:
        approval.decide(old, approver, ReviewDecision.APPROVED)
    assert err.value.code == "superseded"


def test_a_loader_figure_needs_no_review_and_old_rows_count(demo):
    assert Observation.objects.filter(review_required=True).count() == 0
    assert Observation.objects.counted().count() == Observation.objects.count()


def test_someone_without_the_permission_cannot_approve(planners):
    enterer, _ = planners
    obs = _enter(enterer, **{"v-fibre-coverage": "95"}).created[0]
    handler = role_user("h", "handler")
    with pytest.raises(UserError) as err:
        approval.decide(obs, handler, ReviewDecision.APPROVED)
    assert err.value.status == 403


def test_the_approvers_and_then_the_enterer_are_told_through_the_outbox(planners):
    enterer, approver = planners
    obs = _enter(enterer, **{"v-fibre-coverage": "95"}).created[0]
    told = Message.objects.filter(kind="indicator_values_entered")
    assert approver in {m.user for m in told} and enterer not in {m.user for m in told}
    assert "/ke-hoach/bt-nq10-2022/duyet" in told.first().body
    approval.decide(obs, approver, ReviewDecision.APPROVED)
    decided = Message.objects.filter(kind="indicator_value_approved")
    assert {m.user for m in decided} == {enterer}
    assert "95" in decided.first().body


# --- validation on entry ------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "typed", "reason"), [
    ("fibre-coverage", "abc", "not_a_number"),
    ("fibre-coverage", "120", "0 đến 100"),
    ("fibre-coverage", "-3", "0 đến 100"),
    ("dti-rank", "12,5", "số nguyên"),
    ("dti-rank", "0", "số nguyên"),
    ("fibre-coverage", "1.234", "not_a_number"),
])
def test_a_bad_value_is_an_error_on_its_field_and_nothing_is_written(planners, code, typed, reason):
    enterer, _ = planners
    before = Observation.objects.count()
    sub = _enter(enterer, **{f"v-{code}": typed, "v-mobile-broadband-4g5g": "90"})
    assert not sub.ok
    bad = {r.code: r.errors for r in sub.rows if r.errors}
    assert list(bad) == [code]
    assert reason in bad[code][0] or reason == "not_a_number" and "số" in bad[code][0]
    assert Observation.objects.count() == before


def test_a_period_outside_the_plan_or_in_the_future_is_refused(planners):
    enterer, _ = planners
    plan = status.get_plan(PLAN)
    for period in (2019, 2031, 2027, "năm nay"):
        with pytest.raises(UserError) as err:
            entry.submit(plan, period, {"v-fibre-coverage": "90", "source": SOURCE}, enterer, today=TODAY)
        assert err.value.code == "period_not_in_plan" and err.value.field == "ky"
    assert entry.periods(plan, TODAY) == [2022, 2023, 2024, 2025, 2026]


def test_a_figure_needs_a_source_and_a_new_source_is_named_once(planners):
    enterer, _ = planners
    sub = entry.submit(status.get_plan(PLAN), 2025, {"v-fibre-coverage": "90"}, enterer, today=TODAY)
    assert "source" in sub.errors and not sub.created
    sub = entry.submit(status.get_plan(PLAN), 2025, {"v-fibre-coverage": "90", "source_title": "Báo cáo số 12/BC-STTTT",
                                                     "source_url": "javascript:alert(1)"}, enterer, today=TODAY)
    assert "source_url" in sub.errors
    sub = entry.submit(status.get_plan(PLAN), 2025, {"v-fibre-coverage": "90", "source_title": "Báo cáo số 12/BC-STTTT"},
                       enterer, today=TODAY)
    assert sub.ok and sub.created[0].source.title == "Báo cáo số 12/BC-STTTT"


# --- pages --------------------------------------------------------------------------------------

def test_entry_form_shows_per_field_errors_never_a_500(planners):
    enterer, _ = planners
    client = _signed_in(enterer)
    page = client.get(f"/ke-hoach/{PLAN}/nhap-so-lieu?ky=2024")
    assert page.status_code == 200 and 'name="v-fibre-coverage"' in page.content.decode()
    bad = client.post(f"/ke-hoach/{PLAN}/nhap-so-lieu", {"ky": "2024", "source": SOURCE, "v-fibre-coverage": "150%"})
    assert bad.status_code == 400
    assert 'id="err-fibre-coverage"' in bad.content.decode() and 'aria-invalid="true"' in bad.content.decode()
    assert client.post(f"/ke-hoach/{PLAN}/nhap-so-lieu", {"ky": "1990", "v-fibre-coverage": "1"}).status_code == 400
    ok = client.post(f"/ke-hoach/{PLAN}/nhap-so-lieu", {"ky": "2024", "source": SOURCE, "v-fibre-coverage": "93"})
    assert ok.status_code == 302
    assert Observation.objects.pending().filter(indicator__code="fibre-coverage", period=2024).exists()


def test_approval_page_refuses_the_enterer_and_lets_a_second_planner_approve(planners):
    enterer, approver = planners
    obs = _enter(enterer, period=2024, **{"v-fibre-coverage": "93"}).created[0]
    mine = _signed_in(enterer)
    page = mine.get(f"/ke-hoach/{PLAN}/duyet").content.decode()
    assert f'data-observation="{obs.pk}"' not in page  # not offered to its own enterer
    refused = mine.post(f"/ke-hoach/{PLAN}/duyet", {"observation": obs.pk, "decision": "approve"})
    assert refused.status_code == 403 and not ObservationReview.objects.exists()
    theirs = _signed_in(approver)
    assert f'data-observation="{obs.pk}"' in theirs.get(f"/ke-hoach/{PLAN}/duyet").content.decode()
    assert theirs.post(f"/ke-hoach/{PLAN}/duyet", {"observation": obs.pk, "decision": "approve"}).status_code == 302
    assert obs.review_state == "approved"
    assert theirs.post(f"/ke-hoach/{PLAN}/duyet", {"observation": "x", "decision": "approve"}).status_code == 404
    # A citizen (not signed in) goes to the sign-in page; a handler gets 403.
    assert Client().get(f"/ke-hoach/{PLAN}/duyet").status_code == 302
    assert _signed_in(role_user("h", "handler")).get(f"/ke-hoach/{PLAN}/duyet").status_code == 403


def test_indicator_page_carries_the_chart_data_and_the_plan_page_the_pillar_overview(planners):
    enterer, approver = planners
    for period, value in ((2023, 80), (2024, 88)):
        obs = _enter(enterer, period=period, **{"v-fibre-coverage": str(value)}).created[0]
        approval.decide(obs, approver, ReviewDecision.APPROVED)
    page = Client().get(f"/ke-hoach/{PLAN}/chi-tieu/fibre-coverage").content.decode()
    assert 'id="ind-chart-data"' in page and "indicators/charts.js" in page and "<script>" not in page
    item = charts.plan_items(status.get_plan(PLAN)).get(indicator__code="fibre-coverage")
    data = charts.indicator_chart(item, status.params_for(item.plan))
    assert data["has_band"] and data["years"][0] == 2022 and data["years"][-1] == 2030
    at_2030 = data["years"].index(2030)
    assert data["band_low"][at_2030] <= 100 and data["band_low"][at_2030] + data["band_width"][at_2030] <= 100
    assert data["targets"][data["years"].index(2025)] is not None
    plan_page = Client().get(f"/ke-hoach/{PLAN}").content.decode()
    assert 'id="pillar-chart-data"' in plan_page


def test_plans_are_listed_under_the_current_province_and_a_former_provinces_plan_is_labelled(demo):
    bt = status.get_plan(PLAN)
    groups = plans.by_province()
    assert groups[0].province.code == "68" and groups[0].province.is_current
    row = next(r for r in groups[0].rows if r["plan"].code == PLAN)
    assert row["former"] and row["former_name"] == bt.unit.name
    # A second plan of the current province sits in the same group.
    Plan.objects.create(code="ld-kh-2026", title_vi="Kế hoạch thử", title_en="Test plan", issuer="UBND tỉnh Lâm Đồng",
                        document_number="1", document_date=dt.date(2026, 1, 5), unit=groups[0].province,
                        period_start=2026, period_end=2030, base_year=2025, milestones=[2030])
    group = plans.by_province()[0]
    assert [r["plan"].code for r in group.rows] == ["ld-kh-2026", PLAN]
    assert [r["former"] for r in group.rows] == [False, True]
    page = Client().get("/ke-hoach").content.decode()
    assert "former-badge" in page and "Lâm Đồng" in page


def test_the_history_api_says_which_figures_wait_for_approval(planners):
    enterer, approver = planners
    obs = _enter(enterer, period=2024, **{"v-fibre-coverage": "93"}).created[0]
    rows = Client().get("/api/v1/indicators/fibre-coverage/history?unit=legacy:60").json()
    assert [(r["value"], r["review"]) for r in rows if r["period"] == 2024] == [(92.0, "approved"), (93.0, "pending")]
    approval.decide(obs, approver, ReviewDecision.APPROVED)
    rows = Client().get("/api/v1/indicators/fibre-coverage/history?unit=legacy:60").json()
    assert [r["review"] for r in rows if r["period"] == 2024] == ["approved", "approved"]


# --- messages: once, in the page's language; the code only in a data attribute ---------------------

def _errors(response) -> list[str]:
    text = htmllib.unescape(response.content.decode())
    return [re.sub(r"<[^>]+>", "", e).strip()
            for e in re.findall(r'<p class="error" id="err-fibre-coverage"[^>]*>(.*?)</p>', text, re.S)]


def _error_kinds(response) -> list[str]:
    return re.findall(r'<p class="error" id="err-fibre-coverage" data-error="([^"]*)"', response.content.decode())


@pytest.mark.parametrize(("typed", "vi_start", "en_start"), [
    ("abc", "Không phải số: 'abc' (", "Not a number: 'abc' ("),
    ("1.234", "Số '1.234' không rõ nghĩa", "Ambiguous number '1.234'"),
])
def test_a_bad_number_is_said_once_in_the_pages_language_without_its_code(planners, typed, vi_start, en_start):
    enterer, _ = planners
    client = _signed_in(enterer)
    for language, start, other in (("vi", vi_start, en_start), ("en", en_start, vi_start)):
        client.cookies["django_language"] = language
        bad = client.post(f"/ke-hoach/{PLAN}/nhap-so-lieu", {"ky": "2024", "source": SOURCE, "v-fibre-coverage": typed})
        assert bad.status_code == 400
        [message] = _errors(bad)
        assert message.startswith(start) and "not_a_number" not in message and "[" not in message, message
        assert _error_kinds(bad) == ["not_a_number"]  # the kind stays findable, out of sight
        assert " / " not in message and other.lower()[:12] not in message.lower(), message
        for said in ("không phải số", "not a number", "không rõ nghĩa", "ambiguous number"):
            assert message.lower().count(said) <= 1, message  # said once, not "X: x …"


def test_an_unknown_decision_names_what_the_form_sends(planners):
    enterer, approver = planners
    client = _signed_in(approver)
    client.cookies["django_language"] = "en"
    page = client.post(f"/ke-hoach/{PLAN}/duyet", {"observation": "1", "decision": "maybe"})
    text = htmllib.unescape(page.content.decode())
    assert page.status_code == 400
    assert "Unknown decision 'maybe' (approve|reject)" in text and "approved|rejected" not in text
    form = client.get(f"/ke-hoach/{PLAN}/duyet").content.decode()
    assert "approved|rejected" not in form
