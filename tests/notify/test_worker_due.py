"""The worker claims each delivered channel's due messages through that channel's partial index: a
channel it does not deliver (e-mail before TINHSO_EMAIL_URL is set) is never read, however many of
its messages wait, and one channel's backlog does not hold up the other."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tinhso.notify import worker
from tinhso.notify.models import Channel, Message, MessageState

pytestmark = pytest.mark.django_db


def _messages(channel: str, count: int, first_due: dt.datetime, *, state=MessageState.PENDING, step_s=1) -> list[int]:
    rows = [Message(channel=channel, kind="k", address="a@example.org" if channel == Channel.EMAIL else "",
                    subject="s", body="b", state=state, next_attempt_at=first_due + dt.timedelta(seconds=i * step_s),
                    created_at=first_due) for i in range(count)]
    Message.objects.bulk_create(rows)
    return list(Message.objects.filter(channel=channel, state=state).order_by("next_attempt_at", "id")
                .values_list("pk", flat=True))


def test_without_a_mail_server_only_the_webhooks_are_claimed(settings):
    settings.NOTIFY_EMAIL_URL = ""
    now = timezone.now()
    _messages(Channel.EMAIL, 120, now - dt.timedelta(hours=2))
    hooks = _messages(Channel.WEBHOOK, 4, now - dt.timedelta(minutes=10), step_s=-60)  # due in reverse order of ids
    _messages(Channel.WEBHOOK, 2, now - dt.timedelta(minutes=1), state=MessageState.SENT)
    later = Message.objects.create(channel=Channel.WEBHOOK, kind="k", subject="s", body="b", created_at=now,
                                   next_attempt_at=now + dt.timedelta(minutes=5))
    claimed = worker.claim(now, limit=50)
    assert claimed == hooks  # the due webhooks, in due order; not the e-mail, not the sent, not the later one
    assert later.pk not in claimed
    assert Message.objects.filter(pk__in=claimed, attempts=1).count() == 4


def test_each_channel_gives_up_to_the_limit_in_due_order(settings):
    settings.NOTIFY_EMAIL_URL = "smtp://127.0.0.1:25"
    now = timezone.now()
    mails = _messages(Channel.EMAIL, 30, now - dt.timedelta(hours=1))
    hooks = _messages(Channel.WEBHOOK, 3, now - dt.timedelta(minutes=30))
    first = worker.claim(now, limit=10)
    # A backlog of e-mail older than every webhook does not keep the webhooks waiting.
    assert sorted(first) == sorted(hooks + mails[:10])
    assert sorted(worker.claim(now, limit=10)) == sorted(mails[10:20])  # leased rows are not taken again


def _plan(queryset) -> str:
    sql, params = queryset.values_list("pk", flat=True)[:50].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A small table is read whole whatever its indexes; the question is which index can serve.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row) for row in cursor.fetchall())


@pytest.mark.parametrize("channel", [Channel.WEBHOOK, Channel.EMAIL])
def test_a_channels_claim_is_served_by_its_own_partial_index(channel):
    now = timezone.now()
    _messages(Channel.EMAIL, 50, now - dt.timedelta(hours=1))
    _messages(Channel.WEBHOOK, 5, now - dt.timedelta(hours=1))
    plan = _plan(worker.due(now, channel))
    other = Channel.EMAIL if channel == Channel.WEBHOOK else Channel.WEBHOOK
    assert f"notify_due_{channel}" in plan, plan
    assert f"notify_due_{other}" not in plan, plan
