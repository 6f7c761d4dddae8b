"""Writing messages: :func:`send` only inserts outbox rows, in the caller's transaction.

Nothing is delivered here, so sending never blocks or fails the request that causes it, and a
change that is rolled back sends nothing (the rows roll back with it). The worker
(:mod:`tinhso.notify.worker`) delivers e-mail and webhook rows later; inbox rows are delivered
by being written (state ``sent``) and are read on the inbox page.

Who gets what:

- ``users``: each staff user per their :class:`~tinhso.notify.models.Preference` (default: both
  the in-app inbox and e-mail; e-mail only if the account has an address, else the inbox);
- ``recipients``: the same rule for users the database finds, ``(sql, params)`` of a ``SELECT`` of
  ``user_id``, ``email`` and ``mode`` columns (``NULL`` mode: both): one ``INSERT … SELECT`` writes
  their rows, with no round trip to read them first (:func:`tinhso.reports.notices` tells a unit's
  handlers this way; inside :func:`tinhso.core.fastinsert.combined` it is part of the one statement);
- ``emails``: plain addresses (e.g. a citizen who gave one);
- every active :class:`~tinhso.notify.models.WebhookEndpoint` listening to ``kind`` gets one row
  per call (``webhook=False`` to skip, e.g. a citizen's private acknowledgement; a ``sensitive``
  message never carries its body to a webhook).

``dedupe``: a key making the call idempotent (e.g. ``"overdue:PA-…:accept"``): a recipient that
already has a message with that key gets no second one.

Messages are rendered from template files with :func:`render` (``<name>.subject.txt``,
``<name>.txt`` and optionally ``<name>.html``, looked up in the apps' ``templates/`` folders).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.template import Engine, TemplateDoesNotExist
from django.utils import timezone

from tinhso.core import fastinsert
from tinhso.core.process_cache import ProcessCache
from tinhso.notify.models import (
    Channel,
    DeliveryAttempt,
    Message,
    MessageState,
    Mode,
    Preference,
    WebhookEndpoint,
)
from tinhso.notify.plaintext import compile_plain, render_plain

_engines: dict[bool, Engine] = {}
_compiled: dict[str, tuple] = {}
# How long another server process may go on using the webhook endpoints it read (an edit in this
# process applies at once): read on every message with webhooks, edited a few times a year.
WEBHOOKS_TTL_SECONDS = 60


def _load_endpoints() -> list[WebhookEndpoint]:
    return list(WebhookEndpoint.objects.filter(active=True).order_by("pk"))


_endpoints: ProcessCache[list[WebhookEndpoint]] = ProcessCache(
    "notify-webhooks", _load_endpoints, ttl=WEBHOOKS_TTL_SECONDS, models=(WebhookEndpoint,))


def active_endpoints() -> list[WebhookEndpoint]:
    """The active webhook endpoints (kept per process: :mod:`tinhso.core.process_cache`)."""
    return _endpoints.get()


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    html: str = ""


def _engine(autoescape: bool) -> Engine:
    if autoescape not in _engines:
        _engines[autoescape] = Engine(app_dirs=True, autoescape=autoescape)
    return _engines[autoescape]


# The two halves of a bilingual message template: Vietnamese first, then English, the subject's halves
# parted by " / " (English without the Vietnamese half's "[{{ code }}] " prefix) and the body's by a
# line "---". Each half is compiled on its own, so where one ends in the rendered text is known
# exactly, whatever a citizen's or a handler's note inside it holds (the inbox shows the half in the
# reader's language: :mod:`tinhso.notify.languages`).
_SUBJECT_SEPARATOR = re.compile(r" / ")
_BODY_SEPARATOR = re.compile(r"\n[ \t]*---[ \t]*\n")
_CODE_PREFIX = re.compile(r"\[\{\{ *\w+ *\}\}\] ")


def _halves(template, separator: re.Pattern, engine: Engine) -> tuple | None:
    """((Vietnamese half, its plain form), the separator's text, (English half, plain form)) of a
    template with exactly one separator outside its tags, else None (rendered whole)."""
    from django.template import Template, TemplateSyntaxError

    source = getattr(template, "source", None) or ""
    found = list(separator.finditer(source))
    if len(found) != 1:
        return None
    vi_source, sep, en_source = source[:found[0].start()], found[0].group(), source[found[0].end():]
    try:
        vi, en = Template(vi_source, engine=engine), Template(en_source, engine=engine)
    except TemplateSyntaxError:  # a tag spanning the separator: no halves
        return None
    return (vi, compile_plain(vi)), sep, (en, compile_plain(en))


def _templates(name: str) -> tuple:
    """The compiled subject, text and (or None) HTML templates of ``name``, and the subject's and
    text's halves (or None), looked up once per process (template files change with a release, which
    restarts the server)."""
    found = _compiled.get(name)
    if found is None:
        try:
            html = _engine(True).get_template(f"{name}.html")
        except TemplateDoesNotExist:
            html = None
        subject, body = _engine(False).get_template(f"{name}.subject.txt"), _engine(False).get_template(f"{name}.txt")
        subject_halves = _halves(subject, _SUBJECT_SEPARATOR, _engine(False))
        body_halves = _halves(body, _BODY_SEPARATOR, _engine(False))
        prefix = bool(subject_halves) and bool(_CODE_PREFIX.match(subject.source))
        found = _compiled[name] = ((subject, compile_plain(subject)), (body, compile_plain(body)), html,
                                   subject_halves, body_halves, prefix)
    return found


def _render_text(template: tuple, context: dict) -> str:
    """A plain-text template: its plain form where it has one (:mod:`tinhso.notify.plaintext`), else Django."""
    django_template, plain = template
    if plain is not None:
        text = render_plain(plain, context)
        if text is not None:
            return text
    return django_template.render(_ctx(context, False))


class Bilingual(str):
    """A rendered subject or body that knows where its Vietnamese half ends and its English half
    starts (``halves``: (Vietnamese end, English start[, length of the code prefix the English half
    is shown with])): :func:`send` stores them with the message."""

    halves: tuple = ()


def _bilingual(text: str, halves: tuple) -> str:
    out = Bilingual(text)
    out.halves = halves
    return out


def render(name: str, context: dict) -> Rendered:
    """Render ``<name>.subject.txt`` (one line), ``<name>.txt`` and, if present, ``<name>.html``.
    A bilingual subject and text (Vietnamese, then English) come back as :class:`Bilingual` strings,
    the same text as the whole template's, that know where each half is."""
    subject_t, body_t, html_t, subject_halves, body_halves, prefix = _templates(name)
    html = html_t.render(_ctx(context, True)) if html_t is not None else ""
    if subject_halves is None:
        subject = " ".join(_render_text(subject_t, context).split())[:255]
    else:
        vi_t, sep, en_t = subject_halves
        vi = " ".join(_render_text(vi_t, context).split())
        en = " ".join(_render_text(en_t, context).split())
        subject = f"{vi} / {en}" if vi and en else (vi or en)
        if vi and en and len(subject) <= 255:
            code = re.match(r"\[[^\]]*\] ", vi) if prefix else None
            subject = _bilingual(subject, (len(vi), len(vi) + 3, code.end() if code else 0))
        subject = subject[:255] if len(subject) > 255 else subject
    if body_halves is None:
        body = _render_text(body_t, context).strip() + "\n"
    else:
        vi_t, sep, en_t = body_halves
        vi, en = _render_text(vi_t, context), _render_text(en_t, context)
        body = (vi + sep + en).strip() + "\n"
        vi, en = vi.strip(), en.strip()
        end = len(body.rstrip())
        if vi and en and body.startswith(vi) and body.rstrip().endswith(en):
            body = _bilingual(body, (len(vi), end - len(en)))
    return Rendered(subject, body, html)


def language_halves(subject: str, body: str) -> dict:
    """Where the halves of a :func:`render`-ed subject and body are (stored with the message), or {}."""
    out = {}
    if getattr(subject, "halves", ()):
        out["subject"] = list(subject.halves)
    if getattr(body, "halves", ()):
        out["body"] = list(body.halves)
    return out


def _ctx(context: dict, autoescape: bool):
    from django.template import Context

    return Context(context, autoescape=autoescape)


def modes_for(users: Iterable) -> dict[int, str]:
    """Each user's :class:`Preference` mode (default: both)."""
    users = list(users)
    if not users:
        return {}
    chosen = dict(Preference.objects.filter(user__in=users).values_list("user_id", "mode"))
    return {u.pk: chosen.get(u.pk, Mode.BOTH) for u in users}


def send(kind: str, *, subject: str, body: str, html: str = "", users: Iterable = (),
         emails: Iterable[str] = (), ref_app: str = "", ref_code: str = "", ref_url: str = "",
         data: dict | None = None, sensitive: bool = False, webhook: bool = True,
         dedupe: str | None = None, now: dt.datetime | None = None,
         recipients: tuple[str, Sequence] | None = None) -> list[Message]:
    """Queue one message for each recipient and channel; return the rows created (those of
    ``recipients`` are written by the database and not returned)."""
    now = now or timezone.now()
    halves = language_halves(subject, body)
    subject, body = str(subject), str(body)
    common = dict(kind=kind, subject=subject[:255], body=body, body_html=html, ref_app=ref_app, halves=halves,
                  ref_code=ref_code, ref_url=ref_url[:500], data=data or {}, sensitive=sensitive,
                  created_at=now, next_attempt_at=now)
    rows: list[tuple[str, Message]] = []
    users = [u for u in users if u is not None and getattr(u, "is_active", True)]
    modes = modes_for(users)
    for user in users:
        mode = modes[user.pk]
        email = (getattr(user, "email", "") or "").strip()
        if mode in (Mode.BOTH, Mode.INBOX) or not email:
            rows.append((f"u{user.pk}", fastinsert.new(Message, channel=Channel.INBOX, user=user,
                                                       state=MessageState.SENT, sent_at=now, **common)))
        if mode in (Mode.BOTH, Mode.EMAIL) and email:
            rows.append((f"u{user.pk}", fastinsert.new(Message, channel=Channel.EMAIL, user=user, address=email,
                                                       **common)))
    for address in dict.fromkeys(a.strip() for a in emails if a and a.strip()):
        rows.append((address.lower(), fastinsert.new(Message, channel=Channel.EMAIL, address=address, **common)))
    if webhook:
        for endpoint in active_endpoints():
            if endpoint.wants(kind):
                hook = {**common, "body": "" if sensitive else body, "body_html": ""}
                rows.append((f"w{endpoint.pk}", fastinsert.new(Message, channel=Channel.WEBHOOK, endpoint=endpoint,
                                                               **hook)))
    if recipients is not None:
        if dedupe:
            raise ValueError("recipients found by the database cannot be deduplicated")
        _fan_out(recipients, common)
    if not dedupe:
        # One INSERT for every row, through a statement compiled once (tinhso.core.fastinsert).
        messages = [message for _who, message in rows]
        fastinsert.insert(messages)
        return messages
    created = []
    for who, message in rows:
        message.dedupe_key = f"{dedupe}:{message.channel}:{who}"[:200]
        if Message.objects.filter(dedupe_key=message.dedupe_key).exists():
            continue
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:  # written by a concurrent run
            continue
        created.append(message)
    return created


# Columns of a recipient's row worked out by the database (the others are the message's, the same on
# every row): channel, user, address, state and sent_at follow the recipient's mode and address.
_PER_RECIPIENT = {
    "channel": "c.channel",
    "user_id": "r.user_id",
    "address": f"CASE WHEN c.channel = '{Channel.EMAIL.value}' THEN r.email ELSE '' END",
    "state": f"CASE WHEN c.channel = '{Channel.INBOX.value}' THEN '{MessageState.SENT.value}' "
             f"ELSE '{MessageState.PENDING.value}' END",
    "sent_at": f"CASE WHEN c.channel = '{Channel.INBOX.value}' THEN %s END",
}
_fan_out_statements: dict[tuple, tuple[str, str, list[str]]] = {}


def _fan_out_statement(connection, recipients_sql: str) -> tuple[str, str, list[str]]:
    """(INSERT head, SELECT, the message columns given as parameters, in order), built once per database
    kind and recipients query."""
    key = (connection.vendor, recipients_sql)
    found = _fan_out_statements.get(key)
    if found is not None:
        return found
    quote = connection.ops.quote_name
    columns, values, given = [], [], []
    for field in Message._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname in _PER_RECIPIENT:
            values.append(_PER_RECIPIENT[field.attname])
            if field.attname == "sent_at":
                given.append("created_at")
        else:
            # Typed on PostgreSQL: a parameter in a SELECT list is otherwise taken as text (SQLite has no need).
            values.append(f"CAST(%s AS {field.db_type(connection)})" if connection.vendor == "postgresql" else "%s")
            given.append(field.attname)
    both, inbox, email = (f"'{m.value}'" for m in (Mode.BOTH, Mode.INBOX, Mode.EMAIL))
    select = (
        f"SELECT {', '.join(values)} FROM (SELECT q.user_id, TRIM(COALESCE(q.email, '')) AS email, "
        f"COALESCE(q.mode, {both}) AS mode FROM ({recipients_sql}) AS q) AS r "
        f"CROSS JOIN (SELECT '{Channel.INBOX.value}' AS channel UNION ALL SELECT '{Channel.EMAIL.value}') AS c "
        f"WHERE (c.channel = '{Channel.INBOX.value}' AND (r.mode IN ({both}, {inbox}) OR r.email = '')) "
        f"OR (c.channel = '{Channel.EMAIL.value}' AND r.mode IN ({both}, {email}) AND r.email <> '')"
    )
    if len(_fan_out_statements) > 64:  # a handful in practice (one per recipients query and database)
        _fan_out_statements.clear()
    found = _fan_out_statements[key] = (
        f"INSERT INTO {quote(Message._meta.db_table)} ({', '.join(columns)}) ", select, given)
    return found


def _fan_out(recipients: tuple[str, Sequence], common: dict) -> None:
    """The rows of ``users`` (see :func:`send`) for the users ``recipients`` selects, as one
    ``INSERT … SELECT``: an inbox row (delivered: ``sent``) if the mode is both or inbox, or if the
    account has no e-mail address; an e-mail row (``pending``) if the mode is both or e-mail and there
    is an address. Values are prepared as :func:`tinhso.core.fastinsert.insert` prepares them."""
    from django.db import connection

    sql, select_params = recipients
    head, select, given = _fan_out_statement(connection, sql)
    values = {**common, "endpoint_id": None, "dedupe_key": None, "attempts": 0, "last_error": "", "read_at": None}
    params = [fastinsert.prepared(Message, attname, values[attname]) for attname in given]
    fastinsert.insert_select(head, select, [*params, *select_params])


def unread_count(user) -> int:
    return Message.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True).count()


def mark_read(user, ids: Iterable[int] | None = None, *, now: dt.datetime | None = None) -> int:
    """Mark the user's inbox messages read (all unread ones when ``ids`` is None)."""
    qs = Message.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now or timezone.now())


def mark_read_about(user, ref_app: str, ref_code: str, *, now: dt.datetime | None = None) -> int:
    """Mark read the user's unread inbox messages about one thing (``ref_app``, ``ref_code``: a report
    the user has just opened, say)."""
    if user is None or not getattr(user, "is_authenticated", False) or not ref_code:
        return 0
    return (Message.objects.filter(user=user, channel=Channel.INBOX, read_at__isnull=True, ref_app=ref_app,
                                   ref_code=ref_code).update(read_at=now or timezone.now()))


ADDRESS_ERASED = ("Địa chỉ người nhận đã xoá (bảo vệ dữ liệu cá nhân). / "
                  "The recipient's address was erased (personal data protection).")
BODY_ERASED = "(Nội dung đã xoá cùng địa chỉ người nhận. / Erased with the recipient's address.)"
_REDACTED = "[đã xoá / erased]"


def erase_addresses(message_ids: Iterable[int]) -> int:
    """Erase the recipient's address from these e-mail messages, when the person's contact data is
    erased (Decree 13/2023): a message still waiting is not sent any more (``failed``, with the reason);
    a body that held a secret is blanked; the address is taken out of the message's last error and of
    its delivery log's errors, whose rows stay. Returns how many messages held the address."""
    rows = list(Message.objects.filter(pk__in=list(message_ids), channel=Channel.EMAIL).exclude(address="")
                .values_list("pk", "address", "state", "sensitive", "last_error"))
    with transaction.atomic():
        for pk, address, state, sensitive, last_error in rows:
            pattern = re.compile(re.escape(address), re.IGNORECASE)
            change = {"address": "", "last_error": pattern.sub(_REDACTED, last_error)}
            if state == MessageState.PENDING:
                change.update(state=MessageState.FAILED, last_error=ADDRESS_ERASED)
            if sensitive:
                change.update(body=BODY_ERASED, body_html="")
            Message.objects.filter(pk=pk).update(**change)
            for attempt, error in DeliveryAttempt.objects.filter(message_id=pk).values_list("pk", "error"):
                if pattern.search(error):  # the log keeps its rows; only the personal data goes
                    DeliveryAttempt.objects.filter(pk=attempt).update(error=pattern.sub(_REDACTED, error))
    return len(rows)
