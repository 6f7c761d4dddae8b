"""The staff queues (issue 12): what waits for the reader first, group counts, sorting, bulk
actions, CSV export, assignment to a named officer, reply templates."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.reports.conftest import actor
from tests.reports.factories import make_report
from tinhso.core.errors import UserError
from tinhso.notify.models import Message
from tinhso.reports import assignment, queue, replies
from tinhso.reports.models import Membership, ReplyTemplate, ReportEvent, Role, State
from tinhso.reports.queue import IOC, UNIT, Params


def codes(q):
    return [r.code for r in q.reports]


def test_ioc_default_order_overdue_then_waiting_then_rest(world):
    now = timezone.now()
    old = now - dt.timedelta(days=30)
    rest = make_report(world, State.IN_PROGRESS, now=now)
    overdue = make_report(world, State.ASSIGNED, now=old)  # accept deadline long past
    new = make_report(world, State.SUBMITTED, now=now)
    reopened = make_report(world, State.REOPENED, now=now - dt.timedelta(hours=1))
    closed = make_report(world, State.CLOSED, now=now)
    q = queue.staff_queue(actor(world.users["op"]), IOC, Params(), now=now)
    order = codes(q)
    assert order[0] == overdue.code
    assert set(order[1:3]) == {new.code, reopened.code}
    assert order[3:] == [rest.code]
    assert closed.code not in order
    assert q.counts == {"waiting": 2, "overdue": 1, "other": 1, "total": 4}
    assert codes(queue.staff_queue(actor(world.users["op"]), IOC, Params(group="overdue"), now=now)) == [overdue.code]
    every = queue.staff_queue(actor(world.users["op"]), IOC, Params(state="all"), now=now)
    assert closed.code in codes(every) and every.counts["total"] == 5
    only = queue.staff_queue(actor(world.users["op"]), IOC, Params(state="closed"), now=now)
    assert codes(only) == [closed.code]


def test_unit_queue_mine_first_then_assigned_and_info_received(world):
    now = timezone.now()
    h = world.users["h_pt"]
    working = make_report(world, State.IN_PROGRESS, now=now)
    answered = make_report(world, State.IN_PROGRESS, now=now - dt.timedelta(hours=2))
    ReportEvent.objects.create(report=answered, at=now, actor_label="citizen", actor_role="citizen",
                               action="provide_info", from_state="info_requested", to_state="in_progress")
    assigned = make_report(world, State.ASSIGNED, now=now - dt.timedelta(hours=1))
    mine = make_report(world, State.IN_PROGRESS, now=now - dt.timedelta(hours=3), assigned_officer=h)
    make_report(world, State.ASSIGNED, unit=world.mn)  # another commune's: never listed
    q = queue.staff_queue(actor(h), UNIT, Params(), now=now)
    order = codes(q)
    assert order[0] == mine.code
    assert set(order[1:3]) == {answered.code, assigned.code}
    assert order[3:] == [working.code]
    assert q.counts == {"waiting": 2, "overdue": 0, "other": 2, "total": 4, "mine": 1}
    assert codes(queue.staff_queue(actor(h), UNIT, Params(mine=True), now=now)) == [mine.code]


@pytest.mark.parametrize("key", sorted(queue.SORT_KEYS))
def test_every_sort_key_orders_both_ways(world, key):
    now = timezone.now()
    a = make_report(world, State.ASSIGNED, now=now - dt.timedelta(days=2), category=world.health, unit=world.syt)
    b = make_report(world, State.IN_PROGRESS, now=now - dt.timedelta(days=1), unit=world.mn)
    b.commune = world.mui_ne
    b.save()
    up = codes(queue.staff_queue(actor(world.users["op"]), IOC, Params(sort=key), now=now))
    down = codes(queue.staff_queue(actor(world.users["op"]), IOC, Params(sort="-" + key), now=now))
    assert sorted(up) == sorted([a.code, b.code])
    assert up == list(reversed(down)) or key == "code" and up == sorted(up) and down == sorted(down, reverse=True)


def test_unknown_sort_or_group_is_a_clear_error():
    with pytest.raises(UserError) as err:
        Params.from_query({"sort": "reporter_name"})
    assert (err.value.code, err.value.field) == ("bad_sort", "sort")
    with pytest.raises(UserError) as err:
        Params.from_query({"group": "x"})
    assert err.value.code == "bad_group"


def _filtered_world(world):
    """Four open reports around local midnights (Asia/Ho_Chi_Minh, UTC+7): the day a report counts
    under is its local day, not its UTC one."""
    from tests.reports.conftest import local

    def report(when, **fields):
        r = make_report(world, State.IN_PROGRESS, now=when, **fields)
        return r

    day_before = report(local(2025, 3, 9, 23, 59), unit=world.pt)  # 16:59 UTC on the 9th
    early = report(local(2025, 3, 10, 0, 30), unit=world.pt)  # 17:30 UTC on the 9th: local day the 10th
    health = report(local(2025, 3, 11, 23, 50), unit=world.syt, category=world.health, commune=world.mui_ne)
    other_unit = report(local(2025, 3, 12, 9, 0), unit=world.mn, category=world.environment)
    return day_before, early, health, other_unit


def test_each_filter_narrows_the_queue_and_its_group_counts(world):
    day_before, early, health, other_unit = _filtered_world(world)
    op = actor(world.users["op"])

    def listed(**get) -> list[str]:
        found = queue.staff_queue(op, IOC, Params.from_query(get))
        assert found.counts["total"] == len(codes(found)) == sum(found.counts[g] for g in queue.GROUPS)
        return sorted(codes(found))

    every = sorted(r.code for r in (day_before, early, health, other_unit))
    assert listed() == every
    assert listed(category="health") == [health.code]
    assert listed(commune=world.mui_ne.code) == [health.code]
    assert listed(commune=world.phan_thiet.code) == sorted([day_before.code, early.code, other_unit.code])
    assert listed(unit="ubnd-mui-ne") == [other_unit.code]
    assert listed(since="2025-03-10", until="2025-03-10") == [early.code]
    assert listed(until="2025-03-09") == [day_before.code]
    assert listed(since="2025-03-11") == sorted([health.code, other_unit.code])
    # combined with each other and with the state, text and overdue filters
    assert listed(category="traffic", unit="ubnd-phan-thiet", since="2025-03-10") == [early.code]
    assert listed(commune=world.phan_thiet.code, since="2025-03-11", q="đèn đường") == [other_unit.code]
    assert listed(category="health", overdue="1") == [health.code]  # accepted years ago, due long past
    assert listed(category="traffic", state="closed") == []
    closed = make_report(world, State.CLOSED, now=early.created_at)
    assert listed(since="2025-03-10", until="2025-03-10") == [early.code]  # open reports by default
    assert listed(state="all", since="2025-03-10", until="2025-03-10") == sorted([early.code, closed.code])


def test_filters_round_trip_through_links():
    params = Params(state="all", group="overdue", sort="-created", q="đèn", overdue_only=True, mine=True, category="traffic",
                    commune="22945", unit="ubnd-phan-thiet", since=dt.date(2025, 3, 1), until=dt.date(2025, 3, 31),
                    resolved=True, rated=True)
    assert params.query() == {"state": "all", "group": "overdue", "sort": "-created", "q": "đèn", "overdue": "1",
                              "mine": "1", "category": "traffic", "commune": "22945", "unit": "ubnd-phan-thiet",
                              "since": "2025-03-01", "until": "2025-03-31", "resolved": "1", "rated": "1"}
    assert set(params.query()) == set(queue.FILTER_KEYS)
    assert Params.from_query({"resolved": "1", "rated": "1"}) == Params(resolved=True, rated=True)
    assert params.query(since="", unit="") == {k: v for k, v in params.query().items() if k not in ("since", "unit")}


@pytest.mark.parametrize(("get", "code", "field"), [
    ({"since": "2025-13-01"}, "bad_date", "since"),
    ({"until": "10/03/2025"}, "bad_date", "until"),
    ({"since": "20250310"}, "bad_date", "since"),  # ISO, but not the YYYY-MM-DD the form and the links write
    ({"since": "2025-03-10T00:00"}, "bad_date", "since"),
    ({"until": "0001-01-01"}, "date_out_of_range", "until"),
    ({"since": "2025-03-12", "until": "2025-03-10"}, "bad_date_range", "until"),
    ({"category": "no-such-category"}, "unknown_category", "category"),
    ({"commune": "99999"}, "unknown_commune", "commune"),
    ({"unit": "no-such-unit"}, "unknown_unit", "unit"),
])
def test_a_bad_filter_is_a_400_naming_its_field(world, get, code, field):
    with pytest.raises(UserError) as err:
        Params.from_query(get)
    assert (err.value.code, err.value.field, err.value.status) == (code, field, 400)
    assert err.value.message_vi and err.value.message_en and err.value.message_vi != err.value.message_en


def test_a_commune_of_another_province_is_unknown(world):
    from tinhso.geo.models import Unit

    elsewhere = Unit.objects.filter(structure="current", level="commune").exclude(province_code="68").first()
    with pytest.raises(UserError) as err:
        Params.from_query({"commune": elsewhere.code})
    assert err.value.field == "commune"


def test_a_units_queue_never_lists_another_units_report_even_when_asked(world):
    mine = make_report(world, State.IN_PROGRESS, unit=world.pt)
    theirs = make_report(world, State.IN_PROGRESS, unit=world.mn)
    h = actor(world.users["h_pt"])
    asked = queue.staff_queue(h, UNIT, Params.from_query({"unit": "ubnd-mui-ne", "state": "all"}))
    assert codes(asked) == [] and asked.counts["total"] == 0
    assert codes(queue.staff_queue(h, UNIT, Params.from_query({"unit": "ubnd-phan-thiet"}))) == [mine.code]
    assert codes(queue.staff_queue(actor(world.users["op"]), IOC, Params.from_query({"unit": "ubnd-mui-ne"}))) == [
        theirs.code]


def test_bulk_forward_reports_each_item(world):
    op = actor(world.users["op"])
    ok1 = make_report(world, State.VERIFIED)
    ok2 = make_report(world, State.RETURNED_TO_IOC)
    wrong = make_report(world, State.CLOSED)
    results = queue.bulk(op, "forward", [ok1.code, wrong.code, ok2.code, "PA-00000-00000"], unit="ubnd-mui-ne")
    by = {r["code"]: r for r in results}
    assert by[ok1.code]["ok"] and by[ok2.code]["ok"]
    assert by[wrong.code]["error"] == "illegal_transition"
    assert by["PA-00000-00000"]["error"] == "report_not_found"
    for r in (ok1, ok2):
        r.refresh_from_db()
        assert (r.state, r.handling_unit_id) == (State.ASSIGNED, world.mn.pk)
        assert r.events.filter(action="forward").count() == 1
    wrong.refresh_from_db()
    assert wrong.state == State.CLOSED
    # handlers of the unit were told, as for a single forward
    assert Message.objects.filter(kind="report_assigned", ref_code=ok1.code).exists()


def test_bulk_refuses_bad_batches_before_changing_anything(world):
    op = actor(world.users["op"])
    r = make_report(world, State.VERIFIED)
    for kwargs, code in (({"action": "explode"}, "unknown_action"), ({"action": "forward"}, "unit_required"),
                         ({"action": "forward", "unit": "nope"}, "unknown_unit")):
        with pytest.raises(UserError) as err:
            queue.bulk(op, codes=[r.code], **kwargs)
        assert err.value.code == code
    with pytest.raises(UserError):
        queue.bulk(op, "verify", [f"PA-{i:05d}-00000" for i in range(queue.MAX_BULK + 1)])
    r.refresh_from_db()
    assert r.state == State.VERIFIED and not r.events.exists()
    # a handler cannot verify: each item refused, nothing changes
    sub = make_report(world, State.SUBMITTED)
    results = queue.bulk(actor(world.users["h_pt"]), "verify", [sub.code])
    assert not results[0]["ok"]
    sub.refresh_from_db()
    assert sub.state == State.SUBMITTED


def test_csv_export_has_no_reporter_identity_and_safe_text(world):
    make_report(world, State.SUBMITTED, description="=HYPERLINK(\"http://x\")")
    q = queue.staff_queue(actor(world.users["op"]), IOC, Params())
    out = io.StringIO()
    csv.writer(out).writerows(queue.csv_rows(q.reports))
    text = out.getvalue()
    for secret in ("Trần Thị B", "0987654321", "b@example.org"):
        assert secret not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(queue.CSV_HEADER)
    assert rows[1][-1].startswith("'=HYPERLINK")


def test_assign_officer_records_event_and_notifies(world):
    report = make_report(world, State.IN_PROGRESS)
    sup = actor(world.users["sup_pt"])
    with pytest.raises(UserError) as err:
        assignment.assign_officer(report, sup, officer="h_mn")  # another unit's handler
    assert err.value.code == "not_unit_officer"
    assignment.assign_officer(report, sup, officer="h_pt")
    report.refresh_from_db()
    assert report.assigned_officer == world.users["h_pt"]
    event = report.events.get(action="assign_officer")
    assert event.data["officer"] == "h_pt"
    messages = Message.objects.filter(kind="report_officer_assigned", ref_code=report.code)
    assert {m.user_id for m in messages} == {world.users["h_pt"].pk}  # inbox and/or e-mail, to the officer only
    assert all("Trần Thị B" not in m.body and report.code in m.body for m in messages)
    # the officer belongs to the unit: leaving it clears the name
    from tinhso.reports import handling

    handling.return_to_ioc(report, actor(world.users["h_pt"]), reason="Không thuộc thẩm quyền")
    report.refresh_from_db()
    assert report.assigned_officer is None


def test_leader_cannot_assign(world):
    leader = get_user_model().objects.create_user("lead", password="x")
    from django.contrib.auth.models import Permission

    leader.user_permissions.add(Permission.objects.get(codename="read_scope_reports"))
    Membership.objects.create(user=leader, role=Role.LEADER, unit=world.pt)
    report = make_report(world, State.IN_PROGRESS)
    with pytest.raises(UserError) as err:
        assignment.assign_officer(report, actor(get_user_model().objects.get(pk=leader.pk)), officer="h_pt")
    assert err.value.status == 403


def test_reply_templates_per_category_with_placeholders(world):
    report = make_report(world, State.IN_PROGRESS)
    ReplyTemplate.objects.create(title="Đã tiếp nhận", text_vi="Phản ánh {code} ({category}) do {unit} xử lý. {x}",
                                 text_en="Report {code} ({category}) is handled by {unit}.")
    ReplyTemplate.objects.create(category=world.health, title="Y tế", text_vi="Chỉ cho y tế")
    ReplyTemplate.objects.create(title="Cũ", text_vi="tắt", active=False)
    vi = replies.templates_for(report)["respond"]
    assert [t["title"] for t in vi] == ["Đã tiếp nhận"]
    assert vi[0]["text"] == f"Phản ánh {report.code} (Giao thông) do UBND Phường Phan Thiết xử lý. {{x}}"
    en = replies.templates_for(report, english=True)["respond"]
    assert en[0]["text"] == f"Report {report.code} (Traffic) is handled by UBND Phường Phan Thiết."


def test_reply_templates_each_box_its_own_none_with_an_empty_placeholder(world):
    """A rejection offers only rejection reasons (an acknowledgement is none); a template naming the unit is
    not offered before there is one ("Đơn vị  đã tiếp nhận" with no unit); titles in the page's language."""
    unassigned = make_report(world, State.SUBMITTED)
    assert unassigned.handling_unit_id is None
    ReplyTemplate.objects.create(title="Đã tiếp nhận", title_en="Received", text_vi="Đơn vị {unit} đã tiếp nhận {code}.")
    ReplyTemplate.objects.create(title="Đã vá mặt đường", use=ReplyTemplate.Use.RESOLVE, text_vi="Đã vá ({code}).")
    ReplyTemplate.objects.create(title="Ngoài phạm vi", title_en="Out of scope", use=ReplyTemplate.Use.REJECT,
                                 text_vi="Phản ánh {code} không thuộc phạm vi.", text_en="Report {code} is out of scope.")
    offered = replies.templates_for(unassigned)
    assert [t["title"] for t in offered["reject"]] == ["Ngoài phạm vi"]
    assert offered["respond"] == [] and [t["title"] for t in offered["resolve"]] == ["Đã vá mặt đường"]
    english = replies.templates_for(unassigned, english=True)
    assert english["reject"] == [{"id": english["reject"][0]["id"], "title": "Out of scope",
                                  "text": f"Report {unassigned.code} is out of scope."}]
    assigned = make_report(world, State.IN_PROGRESS)
    assert [t["title"] for t in replies.templates_for(assigned, english=True)["respond"]] == ["Received"]


# ---------------------------------------------------------------------------------------------
# Pages


def login(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_ioc_queue_page_groups_sort_and_filters_in_links(client, world):
    login(client, world.users["op"])
    new = make_report(world, State.SUBMITTED)
    make_report(world, State.IN_PROGRESS)
    page = client.get("/ioc/phan-anh?sort=-created&q=đường").content.decode()
    assert 'data-group="waiting"' in page and '<strong class="count">1</strong>' in page
    assert 'aria-sort="descending"' in page
    # the group links keep the sort and the search
    assert 'href="?group=waiting&amp;sort=-created&amp;q=%C4%91%C6%B0%E1%BB%9Dng"' in page
    assert "/ioc/phan-anh.csv?sort=-created&amp;q=" in page
    assert new.code in page
    bad = client.get("/ioc/phan-anh?sort=reporter_name")
    assert bad.status_code == 400 and "reporter_name" in bad.content.decode()
    only_new = client.get("/ioc/phan-anh?group=waiting").content.decode()
    assert new.code in only_new
    all_states = client.get("/ioc/phan-anh?state=all").content.decode()
    assert 'value="all" selected' in all_states


@pytest.mark.django_db
def test_ioc_queue_map_view_lists_points_as_json(client, world):
    login(client, world.users["op"])
    r = make_report(world, State.SUBMITTED)
    page = client.get("/ioc/phan-anh?view=map").content.decode()
    assert 'data-queue-map' in page and 'id="queue-points"' in page and r.code in page
    assert "Trần Thị B" not in page


@pytest.mark.django_db
def test_bulk_page_round_trip_and_permissions(client, world):
    a, b = make_report(world, State.VERIFIED), make_report(world, State.CLOSED)
    login(client, world.users["h_pt"])
    assert client.post("/ioc/phan-anh/hang-loat", {"action": "forward", "codes": [a.code]}).status_code == 403
    login(client, world.users["op"])
    done = client.post("/ioc/phan-anh/hang-loat", {"action": "forward", "unit": "ubnd-phan-thiet",
                                                   "codes": [a.code, b.code], "back": "sort=code&evil=1"})
    assert done.status_code == 302 and done["Location"] == "/ioc/phan-anh?sort=code"
    page = client.get(done["Location"]).content.decode()
    assert 'id="bulk-results"' in page and f'data-code="{a.code}"' in page and 'class="failed"' in page
    a.refresh_from_db()
    assert a.state == State.ASSIGNED
    nothing = client.post("/ioc/phan-anh/hang-loat", {"action": "forward", "unit": "ubnd-phan-thiet"})
    assert nothing.status_code == 302  # a message, never a 500


@pytest.mark.django_db
def test_csv_pages_scope_and_privacy(client, world):
    mine = make_report(world, State.IN_PROGRESS)
    theirs = make_report(world, State.IN_PROGRESS, unit=world.mn)
    login(client, world.users["h_pt"])
    response = client.get("/don-vi/phan-anh.csv?state=all")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert mine.code in body and theirs.code not in body  # a commune's handler sees only their commune
    assert "0987654321" not in body and "b@example.org" not in body
    assert client.get("/ioc/phan-anh.csv").status_code == 403


@pytest.mark.django_db
def test_unit_bulk_assign_officer_and_mine_first(client, world):
    r1, r2 = make_report(world, State.IN_PROGRESS), make_report(world, State.ASSIGNED)
    login(client, world.users["sup_pt"])
    page = client.get("/don-vi/phan-anh").content.decode()
    assert 'name="officer"' in page and 'value="h_pt"' in page
    client.post("/don-vi/phan-anh/hang-loat", {"action": "assign", "officer": "h_pt", "codes": [r1.code]})
    r1.refresh_from_db()
    assert r1.assigned_officer == world.users["h_pt"]
    login(client, world.users["h_pt"])
    page = client.get("/don-vi/phan-anh").content.decode()
    assert page.index(r1.code) < page.index(r2.code)
    assert 'data-group="mine"' in page


@pytest.mark.django_db
def test_detail_pages_offer_templates_unit_search_and_officer(client, world):
    report = make_report(world, State.IN_PROGRESS)
    ReplyTemplate.objects.create(category=world.traffic, title="Đang xử lý", text_vi="Phản ánh {code} đang được xử lý.")
    login(client, world.users["sup_pt"])
    page = client.get(f"/don-vi/phan-anh/{report.code}").content.decode()
    assert f'data-text="Phản ánh {report.code} đang được xử lý."' in page
    assert 'id="assign-officer"' in page and 'value="h_pt"' in page and 'value="h_mn"' not in page
    done = client.post(f"/don-vi/phan-anh/{report.code}/thao-tac", {"action": "assign_officer", "officer": "h_pt"})
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.assigned_officer == world.users["h_pt"]
    wrong = client.post(f"/don-vi/phan-anh/{report.code}/thao-tac", {"action": "assign_officer", "officer": "h_mn"})
    assert wrong.status_code == 400 and "h_mn" in wrong.content.decode()
    new = make_report(world, State.VERIFIED)
    login(client, world.users["op"])
    page = client.get(f"/ioc/phan-anh/{new.code}").content.decode()
    assert 'data-unit-picker' in page and 'data-fold="ubnd phuong phan thiet ubnd-phan-thiet"' in page
    assert '<label for="forward-unit">' in page


@pytest.mark.django_db
def test_queue_page_in_english(client, world):
    from django.conf import settings

    make_report(world, State.SUBMITTED)
    login(client, world.users["op"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/ioc/phan-anh").content.decode()
    assert "Waiting for you" in page and "Export CSV" in page and "Verify and forward" in page


@pytest.mark.django_db
def test_api_queue_order_counts_sort_and_bad_sort(client, world):
    new = make_report(world, State.SUBMITTED)
    working = make_report(world, State.IN_PROGRESS)
    login(client, world.users["op"])
    body = client.get("/api/v1/reports/queue").json()
    assert [r["code"] for r in body["results"]] == [new.code, working.code]
    assert body["counts"] == {"waiting": 1, "overdue": 0, "other": 1, "total": 2, "mine": None}
    assert body["results"][0]["group"] == "waiting"
    by_state = client.get("/api/v1/reports/queue?sort=-state").json()["results"]
    assert [r["state"] for r in by_state] == ["submitted", "in_progress"]
    bad = client.get("/api/v1/reports/queue?sort=reporter_phone")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_sort"
    login(client, world.users["h_pt"])
    inbox = client.get("/api/v1/reports/inbox?state=all").json()
    assert [r["code"] for r in inbox["results"]] == [working.code] and inbox["counts"]["mine"] == 0


def test_a_deadline_of_another_year_shows_its_year(world, client):
    """The queue's deadline column reads "18/08 14:00" for this year; a deadline of another year
    (a report left overdue since last year) carries its year, else "18/08" would read as this August."""
    now = timezone.now()
    last_year = now - dt.timedelta(days=400)
    old = make_report(world, State.ASSIGNED, now=last_year)
    fresh = make_report(world, State.ASSIGNED, now=now)
    client.force_login(world.users["op"])
    html = client.get("/ioc/phan-anh").content.decode()

    def row(code):
        return html.split(f'data-code="{code}"')[1].split("</tr>")[0]

    this_year = timezone.localtime(timezone.now()).year
    for report in (old, fresh):
        due = timezone.localtime(report.accept_due)
        shown = due.strftime("%d/%m %H:%M") if due.year == this_year else due.strftime("%d/%m/%Y %H:%M")
        assert f'<div class="small">{shown}</div>' in row(report.code), (report.code, shown)
    assert timezone.localtime(old.accept_due).year != this_year  # the case this test is about


def _tab(html: str, group: str) -> str:
    return html.split(f'class="group group-{group}')[1].split("</a>")[0]


def _tab_count(html: str, group: str) -> int:
    return int(_tab(html, group).split('<strong class="count">')[1].split("<")[0])


def _overdue_rows(html: str) -> set[str]:
    """The codes of the listed rows marked overdue (red row, "Quá hạn" badge)."""
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr ")[1:]
    return {r.split('data-code="')[1].split('"')[0] for r in rows if 'class="is-overdue"' in r.split(">")[0]}


@pytest.mark.parametrize("kind", [IOC, UNIT])
def test_the_overdue_count_is_every_overdue_report_the_list_shows(world, client, kind):
    """The groups are exclusive and consistent: "Quá hạn N" counts every listed report past its
    deadline, including those waiting for the reader (they used to count under "waiting", so the page
    read "Quá hạn 0" beside "Chờ bạn xử lý 4 (4 quá hạn)"); "waiting" holds only those still within
    their deadline; the counts add up to "Tất cả"; the page says what each group holds."""
    now = timezone.now()
    old = now - dt.timedelta(days=30)
    if kind == IOC:
        user, page = world.users["op"], "/ioc/phan-anh"
        late_waiting = [make_report(world, State.SUBMITTED, now=old), make_report(world, State.REOPENED, now=old)]
        fresh_waiting = make_report(world, State.SUBMITTED, now=now)
        late_other = make_report(world, State.IN_PROGRESS, now=old)
    else:
        user, page = world.users["h_pt"], "/don-vi/phan-anh"
        late_waiting = [make_report(world, State.ASSIGNED, now=old), make_report(world, State.ASSIGNED, now=old)]
        fresh_waiting = make_report(world, State.ASSIGNED, now=now)
        late_other = make_report(world, State.IN_PROGRESS, now=old)
    within = make_report(world, State.IN_PROGRESS, now=now)
    paused = make_report(world, State.INFO_REQUESTED, now=old)  # due long past, clock paused: not overdue
    paused.paused_at = now - dt.timedelta(days=1)
    paused.save()
    q = queue.staff_queue(actor(user), kind, Params(), now=now)
    late = {r.code for r in late_waiting} | {late_other.code}
    assert q.counts["overdue"] == 3 and q.overdue_waiting == 2
    assert q.counts["waiting"] == 1 and q.counts["other"] == 2 and q.counts["total"] == 6
    assert set(codes(queue.staff_queue(actor(user), kind, Params(group="overdue"), now=now))) == late
    assert codes(queue.staff_queue(actor(user), kind, Params(group="waiting"), now=now)) == [fresh_waiting.code]
    assert set(codes(queue.staff_queue(actor(user), kind, Params(overdue_only=True), now=now))) == late
    assert set(codes(q)[-2:]) == {within.code, paused.code}  # "other": within the deadline, or paused
    client.force_login(user)
    html = client.get(page).content.decode()
    assert _tab_count(html, "overdue") == 3 == len(_overdue_rows(html))
    assert _overdue_rows(html) == late  # the rows marked overdue are exactly those the count counts
    assert _tab_count(html, "waiting") == 1 and _tab_count(html, "other") == 2 and _tab_count(html, "all") == 6
    assert '<span class="waiting-within">(2 chờ bạn)</span>' in _tab(html, "overdue")
    assert "Chờ bạn xử lý, còn hạn" in _tab(html, "waiting")
    legend = html.split('id="queue-legend"')[1].split("</div>")[0]
    assert "ba nhóm cộng lại bằng Tất cả" in legend and "kể cả phản ánh đang chờ bạn" in legend
    assert "tạm dừng tính hạn" in legend
    assert "quá hạn)" not in html  # the old "(N quá hạn)" beside the waiting count is gone
    client.cookies["django_language"] = "en"
    html = client.get(page).content.decode()
    assert "(2 waiting for you)" in _tab(html, "overdue") and "Waiting for you, not overdue" in _tab(html, "waiting")
    assert "including those waiting for you" in html.split('id="queue-legend"')[1].split("</div>")[0]
    csv_text = b"".join(client.get(page + ".csv").streaming_content).decode("utf-8-sig")
    listed = list(csv.DictReader(io.StringIO(csv_text)))
    assert {r["code"] for r in listed if r["overdue"] == "1"} == late
    assert {r["code"] for r in listed if r["group"] == "overdue"} == late


def test_a_leaders_queue_says_overdue_reports_wait_for_the_unit(world, client):
    """A reader who acts on no report: the tabs say "waiting for the unit", not "for you"."""
    from django.contrib.auth.models import Permission

    leader = get_user_model().objects.create_user("leader_pt_q", password="x")
    leader.user_permissions.add(Permission.objects.get(codename="read_scope_reports"))
    Membership.objects.create(user=leader, role=Role.LEADER, unit=world.pt)
    now = timezone.now()
    make_report(world, State.ASSIGNED, now=now - dt.timedelta(days=30))
    make_report(world, State.ASSIGNED, now=now)
    client.force_login(leader)
    html = client.get("/don-vi/phan-anh").content.decode()
    assert 'data-group="mine"' not in html
    assert _tab_count(html, "overdue") == 1 and "(1 chờ đơn vị)" in _tab(html, "overdue")
    assert "Chờ đơn vị xử lý, còn hạn" in _tab(html, "waiting")
    assert "kể cả phản ánh đang chờ đơn vị" in html.split('id="queue-legend"')[1].split("</div>")[0]


def test_queue_filters_are_kept_in_every_link_and_stated_above_the_list(world, client):
    from tests.reports.conftest import local

    listed = make_report(world, State.IN_PROGRESS, now=local(2025, 3, 10, 8, 0))
    make_report(world, State.IN_PROGRESS, now=local(2025, 3, 12, 8, 0))  # another day
    make_report(world, State.IN_PROGRESS, now=local(2025, 3, 10, 9, 0), category=world.health)  # another category
    client.force_login(world.users["op"])
    filters = (f"category=traffic&commune={world.phan_thiet.code}&unit=ubnd-phan-thiet"
               "&since=2025-03-10&until=2025-03-10")
    response = client.get(f"/ioc/phan-anh?sort=-created&{filters}")
    html = response.content.decode()
    kept = filters.replace("&", "&amp;")
    assert f'href="/ioc/phan-anh.csv?sort=-created&amp;{kept}"' in html
    assert f'href="?sort=created&amp;{kept}"' in html  # the sort links
    assert f'href="?group=overdue&amp;sort=-created&amp;{kept}"' in html  # the group tabs
    assert f'href="?sort=-created&amp;{kept}&amp;view=map"' in html  # the map of the listed reports
    assert response.context["filter_query"] == f"sort=-created&{filters}"  # the pager's links
    assert f'name="back" value="sort=-created&amp;{kept}"' in html  # bulk actions come back here
    assert listed.code in html and html.count("<tr data-code=") == 1
    assert '<strong class="count">1</strong>' in html.split('data-group="all"')[1]
    stated = html.split('id="active-filters"')[1].split("</p>")[0]
    for text in ("Giao thông", "Phường Phan Thiết", "UBND Phường Phan Thiết", "10/03/2025"):
        assert text in stated, text
    assert f'href="?sort=-created&amp;commune={world.phan_thiet.code}&amp;unit=ubnd-phan-thiet' in stated  # without category
    assert 'href="?sort=-created" class="clear-filters" id="clear-filters"' in stated
    assert 'value="traffic" selected' in html and f'value="{world.phan_thiet.code}" data-fold' in html
    body = b"".join(client.get(f"/ioc/phan-anh.csv?{filters}").streaming_content).decode("utf-8-sig")
    assert listed.code in body and len(body.strip().splitlines()) == 2
    client.cookies["django_language"] = "en"
    html = client.get(f"/ioc/phan-anh?{filters}").content.decode()
    stated = html.split('id="active-filters"')[1].split("</p>")[0]
    assert "Filtered by:" in stated and "Traffic" in stated and "Clear filters" in stated
    assert world.phan_thiet.name_en and world.phan_thiet.name_en in stated
    assert ">All categories</option>" in html and ">Traffic</option>" in html


def test_bulk_actions_come_back_to_the_filtered_queue(world, client):
    report = make_report(world, State.VERIFIED)
    client.force_login(world.users["op"])
    done = client.post("/ioc/phan-anh/hang-loat", {
        "action": "forward", "unit": "ubnd-phan-thiet", "codes": [report.code],
        "back": "category=traffic&commune=22945&unit=ubnd-mui-ne&since=2025-03-01&until=2025-03-31&evil=1"})
    assert done["Location"] == ("/ioc/phan-anh?category=traffic&commune=22945&unit=ubnd-mui-ne"
                                "&since=2025-03-01&until=2025-03-31")


@pytest.mark.parametrize("url", [
    "/ioc/phan-anh?since=2025-02-30", "/ioc/phan-anh?since=2025-03-12&until=2025-03-10",
    "/ioc/phan-anh?category=nope", "/ioc/phan-anh.csv?commune=nope", "/don-vi/phan-anh?unit=nope",
])
def test_a_bad_filter_is_a_400_page_not_a_500(world, client, url):
    client.force_login(world.users["op" if url.startswith("/ioc") else "h_pt"])
    response = client.get(url)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()


def test_a_units_queue_offers_a_unit_choice_only_to_whom_it_is_a_choice(world, client):
    client.force_login(world.users["h_pt"])
    html = client.get("/don-vi/phan-anh").content.decode()
    assert 'id="queue-commune"' in html and 'id="queue-unit"' not in html
    html = client.get("/don-vi/phan-anh?unit=ubnd-mui-ne").content.decode()
    assert 'type="hidden" name="unit" value="ubnd-mui-ne"' in html and "UBND Phường Mũi Né" in html
    client.force_login(world.users["op"])
    html = client.get("/ioc/phan-anh").content.decode()
    assert 'id="queue-unit"' in html and 'id="active-filters"' not in html


@pytest.mark.django_db
def test_the_queue_api_takes_the_same_filters_as_the_page(world, client):
    day_before, early, health, other_unit = _filtered_world(world)
    login(client, world.users["op"])

    def listed(query: str) -> list[str]:
        body = client.get("/api/v1/reports/queue?state=all&" + query).json()
        assert body["count"] == body["counts"]["total"] == len(body["results"])
        return sorted(r["code"] for r in body["results"])

    assert listed("category=health") == [health.code]
    assert listed(f"commune={world.mui_ne.code}") == [health.code]
    assert listed("unit=ubnd-mui-ne") == [other_unit.code]
    assert listed("since=2025-03-10&until=2025-03-10") == [early.code]
    assert listed("category=traffic&unit=ubnd-phan-thiet&since=2025-03-10") == [early.code]
    for query, field in [("since=2025-02-30", "since"), ("since=2025-03-12&until=2025-03-10", "until"),
                         ("category=nope", "category"), ("unit=nope", "unit")]:
        bad = client.get("/api/v1/reports/queue?" + query)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == field, query
    # A unit's inbox narrows within its own reports and never reaches another unit's.
    login(client, world.users["h_pt"])
    own = client.get("/api/v1/reports/inbox?state=all&since=2025-03-10").json()["results"]
    assert early.code in {r["code"] for r in own} and other_unit.code not in {r["code"] for r in own}
    assert client.get("/api/v1/reports/inbox?state=all&unit=ubnd-mui-ne").json()["results"] == []
