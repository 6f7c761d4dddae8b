""""Someone already reported this — add yours to it": a citizen joins their report to a nearby open
one (web form and API). The new report keeps its own code and private link, is merged into the
chosen one in the same transaction, and its sender is told, through a real SMTP server on
127.0.0.1, of the original's public changes. A target that is not public, not open, of another
category or too far is refused before anything is stored."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.loopback_smtp import SmtpServer
from tests.reports.conftest import actor, png_bytes
from tests.reports.factories import make_report
from tests.reports.test_citizen_maps import metres_north, published
from tests.reports.test_pages import html, submit_form
from tinhso.core.errors import UserError
from tinhso.notify import worker
from tinhso.reports import citizen_secret, handling, support
from tinhso.reports.models import Report, ReportEvent, State

JOINER = {"reporter_name": "Phạm Văn Cùng", "reporter_email": "cung@example.org"}


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.NOTIFY_EMAIL_URL = server.url
        settings.SITE_URL = "https://ioc.example.vn"
        yield server


def join_kwargs(w, target, **overrides):
    data = {"category": "traffic", "description": "Ổ gà này tôi cũng gặp sáng nay.",
            "lat": str(metres_north(target.lat, 30)), "lon": str(target.lon), **JOINER}
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_joined_report_is_merged_keeps_its_link_and_follows_the_original_by_email(world, smtp):
    original = published(world, reporter_email="goc@example.org")
    before = Report.objects.count()
    submission = support.submit_same_as(original.code.lower(), **join_kwargs(world, original))
    mine = submission.report
    mine.refresh_from_db()
    assert Report.objects.count() == before + 1
    assert (mine.state, mine.parent_id, mine.is_open) == (State.MERGED, original.pk, False)
    assert mine.code != original.code and submission.citizen_secret
    assert citizen_secret.matches(mine, submission.citizen_secret)  # own private link, still valid
    [join] = ReportEvent.objects.filter(report=mine, action="join")
    assert (join.actor_role, join.from_state, join.data) == ("citizen", State.SUBMITTED, {"parent": original.code})
    assert support.supporting(original) == [{"code": mine.code, "by_citizen": True}]

    worker.run_once()
    to_me = [smtp.subject(m) for m in smtp.messages if m["To"] == JOINER["reporter_email"]]
    assert len(to_me) == 2 and mine.code in to_me[0] and original.code in to_me[1]  # acknowledgement, joined
    handler = actor(world.users["h_pt"])
    handling.resolve(original, handler, result_text="Đã vá xong ổ gà.", photos=[png_bytes()])
    worker.run_once()
    mails = [m for m in smtp.messages if m["To"] == JOINER["reporter_email"]]
    assert len(mails) == 3
    resolved = smtp.text(mails[2])
    assert "Đã vá xong ổ gà." in resolved and mine.code in resolved and original.code in resolved
    assert "Hãy đánh giá" not in resolved  # the joined report itself cannot be rated
    # The original's sender got their own message once, without the joiner's code.
    [own] = [m for m in smtp.messages if m["To"] == "goc@example.org"]
    assert mine.code not in smtp.text(own)
    # The joined report's tracking page follows the original's result.
    page = html(Client().get(citizen_secret.private_path(mine.code, submission.citizen_secret)))
    assert original.code in page and "Đã vá xong ổ gà." in page


@pytest.mark.django_db
def test_senders_of_reports_merged_by_the_ioc_follow_the_original_too(world, smtp):
    original = published(world, reporter_email="goc@example.org")
    child = make_report(world, State.SUBMITTED, reporter_email="con@example.org")
    from tinhso.reports import duplicates

    duplicates.merge(child, original, actor(world.users["op"]))
    handling.resolve(original, actor(world.users["h_pt"]), result_text="Đã xử lý.", photos=[png_bytes()])
    worker.run_once()
    subjects = [smtp.subject(m) for m in smtp.messages if m["To"] == "con@example.org"]
    assert len(subjects) == 2 and original.code in subjects[0] and "xử lý" in subjects[1]


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["unknown", "unpublished", "closed", "other_category", "too_far"])
def test_a_target_that_was_not_offered_is_refused_and_nothing_is_stored(world, case):
    p = world.phan_thiet
    target = {
        "unknown": None,
        "unpublished": make_report(world, State.SUBMITTED, public=True),
        "closed": published(world, State.CLOSED),
        "other_category": published(world, category=world.environment),
        "too_far": published(world, lat=metres_north(p.lat, 600)),
    }[case]
    code = target.code if target else "PA-00000-00000"
    before = (Report.objects.count(), ReportEvent.objects.count())
    kwargs = {"category": "traffic", "description": "Cùng việc", "lat": str(p.lat), "lon": str(p.lon), **JOINER}
    with pytest.raises(UserError) as err:
        support.submit_same_as(code, **kwargs)
    assert err.value.code == "same_as_unavailable" and err.value.field == "same_as" and err.value.status == 400
    assert code in err.value.message_vi and code in err.value.message_en
    assert (Report.objects.count(), ReportEvent.objects.count()) == before


@pytest.mark.django_db
def test_a_target_merged_meanwhile_is_followed_to_its_root(world):
    root = published(world)
    merged = published(world, state=State.MERGED)
    merged.parent = root
    merged.save()
    mine = support.submit_same_as(merged.code, **join_kwargs(world, root)).report
    mine.refresh_from_db()
    assert mine.parent_id == root.pk


@pytest.mark.django_db
def test_web_form_joins_and_redisplays_a_refusal_next_to_the_choice(world):
    original = published(world)
    client = Client()
    data = submit_form(world, key="join", same_as=original.code, lat=str(metres_north(original.lat, 20)),
                       lon=str(original.lon))
    response = client.post("/phan-anh", data)
    assert response.status_code == 302
    mine = Report.objects.exclude(pk=original.pk).get(description=data["description"])
    assert (mine.state, mine.parent_id) == (State.MERGED, original.pk)
    assert response["Location"].startswith(f"/phan-anh/{mine.code}?k=")
    page = html(client.get(response["Location"]))
    assert original.code in page

    far = published(world, lat=metres_north(original.lat, 900))
    response = client.post("/phan-anh", submit_form(world, key="far", same_as=far.code))
    assert response.status_code == 400
    page = html(response)
    assert 'id="same-as-error"' in page and far.code in page and "Việc khác" in page
    assert f'data-same-as="{far.code}"' in page
    assert not Report.objects.filter(idempotency_key="k-far").exists()


@pytest.mark.django_db
def test_api_submit_with_same_as(world):
    original = published(world)
    client = Client()
    response = client.post("/api/v1/reports/submit", {**join_kwargs(world, original), "same_as": original.code})
    assert response.status_code == 201, response.content
    body = response.json()
    mine = Report.objects.get(code=body["report"]["code"])
    assert (mine.state, mine.parent_id) == (State.MERGED, original.pk) and body["citizen_token"]
    assert original.code not in [d["code"] for d in body["duplicates"]]
    closed = published(world, State.CLOSED)
    refused = client.post("/api/v1/reports/submit", {**join_kwargs(world, closed), "same_as": closed.code})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "same_as_unavailable"
    assert refused.json()["error"]["field"] == "same_as"
