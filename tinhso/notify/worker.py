"""The delivery worker: ``tinhso notify run [--once]`` (also started by ``tinhso serve``). Each round
also runs the periodic jobs the apps register (:mod:`tinhso.notify.periodic`).

Each round claims due messages (``pending``, ``next_attempt_at`` passed, e-mail and webhook
channels; e-mail only when ``TINHSO_EMAIL_URL`` is set), delivers them and records every try in
:class:`~tinhso.notify.models.DeliveryAttempt`.

- **Claiming** happens in a short transaction: the rows are selected with
  ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite runs one write transaction at a time,
  which serialises the same way), their ``attempts`` counted and ``next_attempt_at`` pushed
  :data:`LEASE` ahead, then committed. Several worker processes therefore never take the same
  row, and a worker that dies mid-delivery leaves its rows to be retried after the lease. Each
  delivered channel is claimed on its own, in due order, through its partial index: a channel not
  delivered is never read, and one channel's backlog does not hold up the other.
- **Back-off**: after a failed try the next one is :data:`BACKOFF` later (1 min, 5 min, 30 min,
  2 h, 12 h); the sixth failure marks the message ``failed`` (an administrator can "retry now"
  in the admin, which starts the back-off again).
- A sent message that held a secret (the citizen's private link) has its body erased.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading

from django.db import close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from tinhso.core.safe_fetch import FetchError
from tinhso.notify import email, periodic, webhook
from tinhso.notify.models import Channel, DeliveryAttempt, Message, MessageState

logger = logging.getLogger("tinhso.notify")

BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
           dt.timedelta(hours=2), dt.timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = dt.timedelta(minutes=5)
BATCH = 50
DEFAULT_INTERVAL = 5.0
ERASED = "(Nội dung đã xoá sau khi gửi vì chứa đường dẫn riêng. / Erased after delivery: it held a private link.)"


def delivered_channels() -> list[str]:
    """The channels this worker delivers: webhooks, and e-mail once ``TINHSO_EMAIL_URL`` is set."""
    return [Channel.WEBHOOK] + ([Channel.EMAIL] if email.configured() else [])


def due(now: dt.datetime, channel: str):
    """``channel``'s messages due at ``now``, in due order (served by that channel's partial index,
    ``notify_due_<channel>``: the messages of the other channels are not read)."""
    return (Message.objects.filter(state=MessageState.PENDING, channel=channel, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id"))


def claim(now: dt.datetime, limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due messages of each delivered channel for this worker (see the module
    docstring). One query per channel: a channel's backlog (e-mail while the mail server is down)
    neither hides the other's messages nor is read when its channel is not delivered."""
    with transaction.atomic():
        ids: list[int] = []
        for channel in delivered_channels():
            qs = due(now, channel)
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            ids += qs.values_list("pk", flat=True)[:limit]
        if ids:
            Message.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return ids


def _deliver(message: Message, config) -> None:
    if message.channel == Channel.EMAIL:
        email.deliver(config, message.address, message.subject, message.body, message.body_html)
    elif message.channel == Channel.WEBHOOK:
        webhook.deliver(message)


def _describe(exc: Exception) -> str:
    if isinstance(exc, FetchError):
        return f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason
    return f"{type(exc).__name__}: {exc}"


def deliver_one(message: Message, config, now: dt.datetime | None = None) -> bool:
    try:
        _deliver(message, config)
    except Exception as exc:  # noqa: BLE001 — any transport failure is recorded and retried
        now = now or timezone.now()
        error = _describe(exc)[:2000]
        DeliveryAttempt.objects.create(message=message, at=now, ok=False, error=error)
        if message.attempts >= MAX_ATTEMPTS:
            fields = {"state": MessageState.FAILED, "last_error": error}
        else:
            fields = {"next_attempt_at": now + BACKOFF[max(message.attempts, 1) - 1], "last_error": error}
        Message.objects.filter(pk=message.pk).update(**fields)
        logger.warning("notify: %s message %s failed (try %s): %s", message.channel, message.pk,
                       message.attempts, error)
        return False
    now = timezone.now()
    DeliveryAttempt.objects.create(message=message, at=now, ok=True)
    fields = {"state": MessageState.SENT, "sent_at": now, "last_error": ""}
    if message.sensitive:
        fields.update(body=ERASED, body_html="")
    Message.objects.filter(pk=message.pk).update(**fields)
    return True


def run_once(now: dt.datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """Deliver what is due now (repeatedly, until nothing is left); counts of sent / failed tries."""
    config = email.configured()
    sent = failed = 0
    while True:
        at = now or timezone.now()
        ids = claim(at, limit)
        if not ids:
            break
        for message in Message.objects.filter(pk__in=ids).select_related("endpoint").order_by("id"):
            if deliver_one(message, config, now):
                sent += 1
            else:
                failed += 1
        if now is not None:  # a fixed clock (tests): one pass is all that is due
            break
    return {"sent": sent, "failed_tries": failed}


def retry_now(ids, now: dt.datetime | None = None) -> int:
    """Make messages due at once; a failed one starts its back-off again."""
    now = now or timezone.now()
    qs = Message.objects.filter(pk__in=list(ids)).exclude(state=MessageState.SENT)
    return qs.update(state=MessageState.PENDING, next_attempt_at=now, attempts=0)


def run_forever(interval: float = DEFAULT_INTERVAL, stop: threading.Event | None = None,
                parent_pid: int | None = None) -> None:
    """Rounds every ``interval`` seconds until ``stop`` is set, SIGTERM/SIGINT arrives, or the
    process that started this one (``parent_pid``, e.g. ``tinhso serve``) is gone."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        if parent_pid is not None and os.getppid() != parent_pid:
            logger.warning("notify worker: the server process is gone; stopping")
            break
        try:
            close_old_connections()
            run_once()
        except Exception:  # noqa: BLE001 — a database hiccup must not end the worker
            logger.exception("notify worker round failed")
        periodic.run_due()  # the apps' periodic jobs (tinhso.notify.periodic), each guarded
        stop.wait(interval)
    connection.close()
