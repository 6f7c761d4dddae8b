"""Sending only writes outbox rows, in the caller's transaction, per the recipients' preferences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from tinhso import notify
from tinhso.notify import outbox
from tinhso.notify.models import Message, Mode, Preference, WebhookEndpoint

pytestmark = pytest.mark.django_db


def user(name: str, email: str = ""):
    return get_user_model().objects.create_user(name, password="x", email=email)


def test_send_writes_rows_per_preference_and_address():
    both = user("both", "both@example.org")
    inbox_only = user("inbox", "inbox@example.org")
    email_only = user("mail", "mail@example.org")
    no_address = user("noaddr")
    Preference.objects.create(user=inbox_only, mode=Mode.INBOX)
    Preference.objects.create(user=email_only, mode=Mode.EMAIL)
    Preference.objects.create(user=no_address, mode=Mode.EMAIL)
    rows = notify.send("test_kind", subject="Tiêu đề", body="Nội dung", users=[both, inbox_only, email_only, no_address],
                       emails=["citizen@example.org", "citizen@example.org"], ref_app="reports", ref_code="PA-1")
    got = sorted((m.channel, m.user.username if m.user else m.address, m.state) for m in rows)
    assert got == [
        ("email", "both", "pending"), ("email", "citizen@example.org", "pending"), ("email", "mail", "pending"),
        ("inbox", "both", "sent"), ("inbox", "inbox", "sent"),
        ("inbox", "noaddr", "sent"),  # e-mail only, but no address: the inbox instead
    ]
    assert Message.objects.count() == 6


def test_rolled_back_change_sends_nothing():
    someone = user("u", "u@example.org")
    with pytest.raises(RuntimeError), transaction.atomic():
        notify.send("test_kind", subject="s", body="b", users=[someone])
        assert Message.objects.count() == 2
        raise RuntimeError("the change failed")
    assert Message.objects.count() == 0


def test_dedupe_key_makes_send_idempotent():
    sup = user("sup", "sup@example.org")
    first = notify.send("overdue", subject="s", body="b", users=[sup], dedupe="overdue:PA-1:accept:0")
    again = notify.send("overdue", subject="s", body="b", users=[sup], dedupe="overdue:PA-1:accept:0")
    assert len(first) == 2 and again == []
    other_step = notify.send("overdue", subject="s", body="b", users=[sup], dedupe="overdue:PA-1:handle:0")
    assert len(other_step) == 2


def test_webhook_rows_follow_endpoint_kinds_and_never_carry_a_sensitive_body():
    all_kinds = WebhookEndpoint.objects.create(name="all", url="https://hooks.example.org/a", secret="s")
    only = WebhookEndpoint.objects.create(name="only", url="https://hooks.example.org/b", secret="s",
                                          kinds="report_resolved, other")
    WebhookEndpoint.objects.create(name="off", url="https://hooks.example.org/c", secret="s", active=False)
    rows = notify.send("report_resolved", subject="s", body="secret link", sensitive=True)
    assert sorted(m.endpoint.name for m in rows) == ["all", "only"]
    assert all(m.body == "" for m in rows)
    rows = notify.send("report_accepted", subject="s", body="b")
    assert [m.endpoint for m in rows] == [all_kinds]
    assert notify.send("report_accepted", subject="s", body="b", webhook=False) == []
    assert only.wants("other") and not only.wants("report_accepted")


def test_unread_count_and_mark_read():
    someone = user("u")
    notify.send("k", subject="one", body="b", users=[someone])
    notify.send("k", subject="two", body="b", users=[someone])
    assert outbox.unread_count(someone) == 2
    first = Message.objects.get(subject="one")
    assert outbox.mark_read(someone, [first.pk]) == 1
    assert outbox.unread_count(someone) == 1
    stranger = user("x")
    assert outbox.mark_read(stranger) == 0  # cannot touch another user's messages
    assert outbox.mark_read(someone) == 1 and outbox.unread_count(someone) == 0


def test_render_reads_template_files():
    text = outbox.render("reports/notify/report_forwarded", {"code": "PA-AAAAA-BBBBB", "unit": "UBND <X>",
                                                             "unit_en": "X", "track_url": "http://h/p"})
    assert text.subject.startswith("[PA-AAAAA-BBBBB]") and "\n" not in text.subject
    assert "UBND <X>" in text.body  # plain text: not HTML-escaped
    assert text.body.index("Phản ánh") < text.body.index("Report")  # Vietnamese first, English below


def test_webhook_endpoints_are_kept_per_process_and_an_edit_applies_at_once(monkeypatch, django_assert_num_queries):
    from tinhso.core import process_cache

    monkeypatch.setattr(process_cache, "in_transaction", lambda: False)  # as in a server's autocommit request
    outbox._endpoints.forget()
    try:
        hook = WebhookEndpoint.objects.create(name="zalo", url="https://hooks.example.org/a", secret="s")
        assert [e.pk for e in outbox.active_endpoints()] == [hook.pk]
        with django_assert_num_queries(0):
            assert [e.pk for e in outbox.active_endpoints()] == [hook.pk]  # kept: no query
        hook.active = False
        hook.save()  # the save in this process drops the kept list
        assert outbox.active_endpoints() == []
    finally:
        outbox._endpoints.forget()


def test_the_inbox_is_read_through_its_partial_index():
    """The inbox index covers only messages with a user (not the citizens' acknowledgements, written at
    every submission); the inbox's queries must still find it, on both databases."""
    from django.db import connection

    person = user("reader", "reader@example.org")
    notify.send("test_kind", subject="s", body="b", users=[person], emails=["citizen@example.org"])
    sql, params = (Message.objects.filter(user=person, channel="inbox", read_at__isnull=True)
                   .values("id").query.sql_with_params())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is read whole otherwise
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "notify_user_inbox" in plan, plan
    assert outbox.unread_count(person) == 1


def _recipients_sql(ids: list[int]) -> tuple[str, list]:
    """Users by id with their preference, as ``recipients`` (the shape a capability app writes)."""
    from django.db import connection

    q = connection.ops.quote_name
    users, preferences = q(get_user_model()._meta.db_table), q(Preference._meta.db_table)
    marks = ", ".join(["%s"] * len(ids)) or "NULL"
    return (f"SELECT u.id AS user_id, u.email AS email, p.mode AS mode FROM {users} u "
            f"LEFT JOIN {preferences} p ON p.user_id = u.id WHERE u.id IN ({marks})", ids)


def _rows(kind: str) -> list[tuple]:
    fields = [f.attname for f in Message._meta.concrete_fields if f.attname not in ("id", "kind")]
    return sorted(tuple(str(v) for v in row) for row in Message.objects.filter(kind=kind).values_list(*fields))


def test_recipients_found_by_the_database_get_the_rows_the_users_list_gets():
    """``recipients`` (one INSERT … SELECT) against ``users`` (rows built in Python), on random users:
    every preference or none, with an address, without, or with spaces around it; every column equal."""
    import random

    rng = random.Random(20261203)
    people = _people(rng)
    for trial in range(12):
        chosen = rng.sample(people, rng.randint(0, 12))
        with transaction.atomic():
            notify.send(f"by_list_{trial}", users=chosen, **COMMON)
            notify.send(f"by_sql_{trial}", recipients=_recipients_sql([p.pk for p in chosen]), **COMMON)
        expected = _rows(f"by_list_{trial}")
        assert _rows(f"by_sql_{trial}") == expected
        assert len(expected) >= len(chosen)  # everyone gets at least one row


@pytest.mark.django_db(transaction=True)
def test_recipients_queued_in_a_combined_statement_get_the_same_rows():
    """On PostgreSQL, inside :func:`tinhso.core.fastinsert.combined` (intake's one statement), the
    recipients' INSERT … SELECT is part of the statement: the same rows as the users list."""
    import random

    from django.db import connection

    from tinhso.core import fastinsert

    if connection.vendor != "postgresql":
        pytest.skip("combined statements are PostgreSQL's")
    chosen = _people(random.Random(3))[:25]
    with fastinsert.combined():
        notify.send("by_sql_combined", recipients=_recipients_sql([p.pk for p in chosen]), **COMMON)
        assert not Message.objects.filter(kind="by_sql_combined").exists()  # queued until the block ends
    notify.send("by_list_combined", users=chosen, **COMMON)
    assert _rows("by_sql_combined") == _rows("by_list_combined") != []


COMMON = dict(subject="[PA-1] Tiêu đề", body="Nội dung\n", html="<p>x</p>", ref_app="reports", ref_code="PA-1",
              ref_url="http://x/pa-1", data={"state": "assigned", "n": 1}, sensitive=False, webhook=False,
              now=dt.datetime(2026, 12, 3, 4, 5, 6, 789_000, tzinfo=dt.UTC))


def _people(rng) -> list:
    """40 users: every preference or none, with an address, without, or with spaces around it."""
    people = []
    for i in range(40):
        email = rng.choice(["", f"u{i}@example.org", f"  u{i}@example.org ", f"U{i}@Example.ORG"])
        person = user(f"person{i}")
        get_user_model().objects.filter(pk=person.pk).update(email=email)  # as stored, spaces kept
        person.email = email
        mode = rng.choice([None, Mode.BOTH, Mode.INBOX, Mode.EMAIL])
        if mode is not None:
            Preference.objects.create(user=person, mode=mode)
        people.append(person)
    return people


def test_recipients_cannot_be_deduplicated():
    with pytest.raises(ValueError, match="deduplicated"):
        notify.send("overdue", subject="s", body="b", recipients=_recipients_sql([]), dedupe="k")
