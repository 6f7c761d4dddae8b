"""Issue 12: a citizen's rating of 1–2 ALWAYS lets them ask to reopen (before, a 1 without a
comment closed the report at once and nothing could reopen it from the citizen's side)."""

from __future__ import annotations

import pytest

from tests.reports.factories import give_secret, make_report, submitter
from tinhso.core.errors import UserError
from tinhso.reports import feedback
from tinhso.reports.models import State


@pytest.mark.parametrize("rating", [1, 2])
def test_low_rating_without_comment_does_not_close(world, rating):
    report = make_report(world, State.RESOLVED, result_text="Đã vá")
    who = submitter(report)
    feedback.rate(report, rating, comment="", actor=who)
    report.refresh_from_db()
    assert (report.rating, report.state) == (rating, State.RESOLVED)  # the old code closed it
    assert feedback.may_ask_reopen(report)
    feedback.request_reopen(report, actor=who, reason="Ổ gà vẫn còn")
    report.refresh_from_db()
    assert report.state == State.REOPENED and report.reopen_count == 1
    event = report.events.order_by("-at", "-id").first()
    assert (event.action, event.note, event.data) == ("request_reopen", "Ổ gà vẫn còn", {"rating": rating})


def test_reopen_request_after_automatic_close_and_refusals(world):
    report = make_report(world, State.RESOLVED, result_text="Đã vá")
    who = submitter(report)
    feedback.rate(report, 1, comment="", actor=who)
    report.state = State.CLOSED  # e.g. closed automatically at the end of the rating period
    report.save()
    with pytest.raises(UserError) as err:
        feedback.request_reopen(report, actor=who, reason="  ")
    assert err.value.code == "note_required"
    feedback.request_reopen(report, actor=who, reason="Chưa sửa")
    report.refresh_from_db()
    assert report.state == State.REOPENED
    happy = make_report(world, State.RESOLVED)
    happy_who = submitter(happy)
    feedback.rate(happy, 4, comment="", actor=happy_who)
    happy.refresh_from_db()
    assert happy.state == State.CLOSED and not feedback.may_ask_reopen(happy)
    with pytest.raises(UserError) as err:
        feedback.request_reopen(happy, actor=happy_who, reason="?")
    assert err.value.code == "reopen_not_offered"


@pytest.mark.django_db
def test_track_page_offers_reopen_after_low_rating(client, world):
    report = make_report(world, State.RESOLVED, result_text="Đã xử lý")
    key = give_secret(report)
    client.post(f"/phan-anh/{report.code}/danh-gia", {"rating": "1", "k": key})
    page = client.get(f"/phan-anh/{report.code}?k={key}").content.decode()
    assert f'action="/phan-anh/{report.code}/mo-lai"' in page
    assert client.post(f"/phan-anh/{report.code}/mo-lai", {"comment": "x", "k": "wrong"}).status_code == 403
    done = client.post(f"/phan-anh/{report.code}/mo-lai", {"comment": "Đèn vẫn tắt", "k": key})
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.state == State.REOPENED


@pytest.mark.django_db
def test_api_reopen_request_after_low_rating(client, world):
    report = make_report(world, State.RESOLVED, result_text="Đã xử lý")
    key = give_secret(report)
    headers = {"X-Citizen-Token": key}
    rated = client.post(f"/api/v1/reports/track/{report.code}/rate", {"rating": 2}, content_type="application/json",
                        headers=headers)
    assert rated.status_code == 200 and rated.json()["state"] == "resolved"
    url = f"/api/v1/reports/track/{report.code}/reopen"
    assert client.post(url, {"text": "x"}, content_type="application/json").status_code == 403
    done = client.post(url, {"text": "Vẫn chưa sửa"}, content_type="application/json", headers=headers)
    assert done.status_code == 200 and done.json()["state"] == "reopened"


@pytest.mark.django_db
def test_reopened_report_drops_its_old_rating_and_takes_a_new_one(client, world):
    """Rated 1 → reopened → resolved again: the page no longer shows 1/5, the citizen can rate the
    new result, statistics count only that rating; the old one stays in the history."""
    from tests.reports.conftest import actor, png_bytes
    from tinhso.reports import handling, stats, triage

    report = make_report(world, State.RESOLVED, result_text="Đã vá")
    key = give_secret(report)
    assert client.post(f"/phan-anh/{report.code}/danh-gia", {"rating": "1", "k": key}).status_code == 302
    assert client.post(f"/phan-anh/{report.code}/mo-lai", {"comment": "Vẫn còn ổ gà", "k": key}).status_code == 302
    report.refresh_from_db()
    assert report.state == State.REOPENED
    assert (report.rating, report.rating_comment, report.rated_at) == (None, "", None)
    event = report.events.get(action="request_reopen")
    assert event.data["rating"] == 1 and event.note == "Vẫn còn ổ gà"
    triage.forward(report, actor(world.users["op"]), unit_code=world.pt.code)
    handling.accept(report, actor(world.users["h_pt"]))
    handling.resolve(report, actor(world.users["h_pt"]), result_text="Đã vá lại", photos=[png_bytes()])
    page = client.get(f"/phan-anh/{report.code}?k={key}").content.decode()
    assert 'id="rating-value"' not in page and "1/5" not in page
    assert 'id="rating"' in page  # the rating form is offered again
    assert sum(r["rated"] for r in stats.unit_stats()) == 0
    assert client.post(f"/phan-anh/{report.code}/danh-gia", {"rating": "5", "k": key}).status_code == 302
    report.refresh_from_db()
    assert (report.rating, report.state) == (5, State.CLOSED)
    page = client.get(f"/phan-anh/{report.code}?k={key}").content.decode()
    assert "5/5" in page
    assert sum(r["rated"] for r in stats.unit_stats()) == 1
    assert next(r["avg_rating"] for r in stats.unit_stats() if r["rated"]) == 5


def test_operator_reopen_also_clears_the_rating(world):
    from tests.reports.conftest import actor
    from tinhso.reports import workflow

    report = make_report(world, State.CLOSED, result_text="Đã vá", rating=2, rating_comment="Chưa ổn")
    workflow.transition(report, "reopen", actor(world.users["op"]), note="Kiểm tra lại")
    report.refresh_from_db()
    assert (report.state, report.rating, report.rating_comment) == (State.REOPENED, None, "")
    assert report.events.get(action="reopen").data["rating"] == 2
