"""Who is told what about a report: the reports side of notifications (messages to tinhso.notify).

Messages are queued with :func:`tinhso.notify.send` inside the transaction that makes the
change, so a change that is rolled back tells nobody. Texts are template files under
``reports/templates/reports/notify/`` (Vietnamese, then English).

- **The citizen** (only if they gave an e-mail address): the acknowledgement with their private
  link at submission (:func:`on_submitted`), each public state change (:data:`CITIZEN_KINDS`:
  forwarded, accepted, question asked, resolved with the result, rejected, reopened, joined to or
  merged into another report), the same changes of a report theirs was joined to or merged into
  (:func:`followers`; :mod:`tinhso.reports.support`), and a new
  private link on request (:func:`secret_recovered`). The private link is only in the messages
  written when a secret is issued; it is erased from the outbox once sent.
- **Handlers** of the unit a report is assigned to: each new assignment (also to the unit's own
  mailbox, ``HandlingUnit.email``, if set) and each answer from the citizen (:data:`HANDLER_KINDS`) — code, category, place and link only, never the reporter's
  identity (Decree 13/2023).
- **The named officer** a report is assigned to inside its unit (``assign_officer``).
- **A citizen's request to reopen** (:data:`REOPEN_REQUEST_KIND`): the IOC's operators and the
  handlers of the unit whose result it was, in their inbox (and e-mail, by their choice); the
  citizen gets ``report_reopened`` as confirmation, webhooks the public ``report_reopened``.
- **Supervisors**: near-due and overdue notices from :func:`tinhso.reports.sla.check_deadlines`
  (once per report, step and clock).

:func:`on_transition` is registered in :data:`tinhso.reports.workflow.AFTER_TRANSITION` (see
``apps.py``), the workflow's single transition point.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.utils import timezone

from tinhso import notify
from tinhso.core.i18n import in_language
from tinhso.core.rowreader import per_vendor
from tinhso.notify.outbox import render
from tinhso.reports import citizen_secret
from tinhso.reports.models import Membership, Report, ReportEvent, Role, State

TEMPLATES = "reports/notify/"
# Workflow action → message kind sent to the citizen.
CITIZEN_KINDS = {
    "auto_assign": "report_forwarded", "forward": "report_forwarded", "accept": "report_accepted",
    "request_info": "report_question", "resolve": "report_resolved", "reject": "report_rejected",
    "reopen": "report_reopened", "request_reopen": "report_reopened", "join": "report_joined",
    "merge": "report_joined",
}
# The citizen asked to reopen: the staff who must act are told (the IOC's operators re-forward it,
# the unit that resolved it learns its result was not accepted).
REOPEN_REQUEST_KIND = "report_reopen_requested"
# Kinds about the report itself, not its progress: not repeated to the senders of reports merged into it.
OWN_KINDS = {"report_joined"}
# How deep a chain of merges is followed to find the senders to tell (a merge targets the root,
# so chains stay short: a report merged after others were merged into it).
FOLLOW_DEPTH = 5
# Workflow action → message kind sent to the handlers of the (new) unit.
HANDLER_KINDS = {"auto_assign": "report_assigned", "forward": "report_assigned", "reassign": "report_assigned",
                 "provide_info": "report_info_provided"}


site_url = notify.site_url  # (the name other report modules import)


def _context(report: Report, **extra) -> dict:
    category = report.category
    due = report.handle_due or report.accept_due
    return {
        "code": report.code, "category_vi": category.name_vi, "category_en": category.name_en or category.name_vi,
        "unit": report.handling_unit.name if report.handling_unit_id else "",
        "unit_en": (report.handling_unit.name_en or report.handling_unit.name) if report.handling_unit_id else "",
        "commune": report.commune.name if report.commune_id else "",
        "state_vi": _state_label(report.state, "vi"),
        "state_en": _state_label(report.state, "en"),
        "track_url": site_url(f"/phan-anh/{report.code}"),
        "track_url_unit": site_url(f"/don-vi/phan-anh/{report.code}"),
        "due": timezone.localtime(due).strftime("%H:%M %d/%m/%Y") if due else "",
        "result": report.result_text, **extra,
    }


@functools.cache
def _state_label(state: str, language: str) -> str:
    """A state's name in one language (switching the active translation costs more than the rest of a
    notice's context)."""
    return in_language(State(state).label, language)


def _ref(report: Report, url: str) -> dict:
    return {"ref_app": "reports", "ref_code": report.code, "ref_url": url}


def _send(kind: str, report: Report, *, url: str, context: dict | None = None, users=(), emails=(),
          sensitive: bool = False, webhook: bool = True, dedupe: str | None = None, now=None, data=None,
          recipients=None):
    text = render(TEMPLATES + kind, _context(report, **(context or {})))
    return notify.send(kind, subject=text.subject, body=text.body, html=text.html, users=users, emails=emails,
                       sensitive=sensitive, webhook=webhook, dedupe=dedupe, now=now, recipients=recipients,
                       data={"state": report.state, "category": report.category.code, **(data or {})},
                       **_ref(report, url))


def on_submitted(report: Report, secret: str | None, events: list[ReportEvent]) -> None:
    """Acknowledge a new report to the citizen (with the private link), tell the unit if auto-assigned."""
    if report.reporter_email and secret:
        private = site_url(citizen_secret.private_path(report.code, secret))
        _send("report_acknowledged", report, url=site_url(f"/phan-anh/{report.code}"),
              context={"private_url": private, "secret": secret}, emails=[report.reporter_email],
              sensitive=True, webhook=False, now=report.created_at)
    for event in events:
        if event.action in HANDLER_KINDS:
            _tell_handlers(report, event)


def on_transition(report: Report, event: ReportEvent) -> None:
    """After every persisted transition (inside its transaction)."""
    kind = CITIZEN_KINDS.get(event.action)
    if kind:
        url = site_url(f"/phan-anh/{report.code}")
        reason = _reject_reason(event)
        if report.reporter_email:
            _send(kind, report, url=url, context={"note": event.note, "parent_code": event.data.get("parent", ""), **reason},
                  emails=[report.reporter_email], webhook=False, now=event.at)
        if kind not in OWN_KINDS:
            # The senders of the reports joined to (merged into) this one follow its progress.
            for code, email in followers(report):
                _send(kind, report, url=url, context={"note": event.note, "joined_code": code, **reason}, emails=[email],
                      webhook=False, now=event.at, data={"joined": code})
        if _has_webhooks():
            # The public change, without any personal data, for connected systems.
            _send(kind, report, url=url, context={"note": event.note, **reason}, now=event.at)
    if event.action in HANDLER_KINDS:
        _tell_handlers(report, event)
    if event.action == "request_reopen":
        _tell_reopen_request(report, event)
    if event.action == "assign_officer" and report.assigned_officer_id:
        _send("report_officer_assigned", report, url=site_url(f"/don-vi/phan-anh/{report.code}"),
              users=[report.assigned_officer], context={"note": event.note}, now=event.at)


def _reject_reason(event: ReportEvent) -> dict:
    """A rejection's reason (a code in the event's data) named in both languages, for the message."""
    from tinhso.reports.triage import reject_reason

    code = (event.data or {}).get("reason", "") if event.action == "reject" else ""
    return {"reason_vi": reject_reason(code, english=False), "reason_en": reject_reason(code, english=True)}


def followers(report: Report) -> list[tuple[str, str]]:
    """(tracking code, e-mail) of the reports merged into ``report`` (directly or through a merged
    report) whose sender gave an e-mail, each address once."""
    found: list[tuple[str, str]] = []
    seen_emails: set[str] = {report.reporter_email.lower()} if report.reporter_email else set()
    parents = [report.pk]
    for _depth in range(FOLLOW_DEPTH):
        rows = list(Report.objects.filter(parent_id__in=parents, state=State.MERGED)
                    .values_list("pk", "code", "reporter_email").order_by("pk"))
        if not rows:
            break
        for _pk, code, email in rows:
            if email and email.lower() not in seen_emails:
                seen_emails.add(email.lower())
                found.append((code, email))
        parents = [pk for pk, _code, _email in rows]
    return found


def forget_reporters(reports) -> int:
    """Take each report's reporter e-mail out of the outbox (:func:`tinhso.notify.outbox.erase_addresses`):
    the messages about the report, and those about the report it was joined to or merged into that
    were sent for it (``data.joined``), addressed to that e-mail. ``reports``: the reports, their
    e-mail still set, a few hundred at most (their codes are parameters of one query), read through
    the outbox's ``created_at`` index from the oldest report on. Returns how many messages held an
    address."""
    from django.db.models import Q

    from tinhso.notify.models import Channel, Message
    from tinhso.notify.outbox import erase_addresses

    emails = {r.code: r.reporter_email.strip().lower() for r in reports if r.reporter_email.strip()}
    if not emails:
        return 0
    since = min(r.created_at for r in reports if r.code in emails)
    rows = (Message.objects.filter(channel=Channel.EMAIL, ref_app="reports", created_at__gte=since)
            .filter(Q(ref_code__in=emails) | Q(data__joined__in=emails)).exclude(address="")
            .values_list("pk", "ref_code", "data__joined", "address"))
    found = [pk for pk, ref_code, joined, address in rows
             if emails.get(joined if joined in emails else ref_code) == address.strip().lower()]
    return erase_addresses(found)


def _has_webhooks() -> bool:
    from tinhso.notify.outbox import active_endpoints

    return bool(active_endpoints())


def _members_query(connection, *, by_unit: bool) -> str:
    """The active members of a role (of one unit if ``by_unit``) with their notification mode
    (``user_id``, ``email``, ``mode``: the ``recipients`` of :func:`tinhso.notify.outbox.send`);
    parameters: role[, unit id]."""
    from django.contrib.auth import get_user_model

    from tinhso.notify.models import Preference

    q = connection.ops.quote_name
    users, members = q(get_user_model()._meta.db_table), q(Membership._meta.db_table)
    unit = " AND m.unit_id = %s" if by_unit else ""
    return (f"SELECT u.id AS user_id, u.email AS email, p.mode AS mode FROM {users} u "
            f"LEFT JOIN {q(Preference._meta.db_table)} p ON p.user_id = u.id WHERE u.is_active AND u.id IN "
            f"(SELECT m.user_id FROM {members} m WHERE m.role = %s{unit} AND m.active)")


@per_vendor
def _handlers_sql(connection) -> str:
    """The active handlers of a unit; parameters: role, unit id."""
    return _members_query(connection, by_unit=True)


@per_vendor
def _members_sql(connection) -> str:
    """The active members of a role in any unit (the IOC's operators); parameter: role."""
    return _members_query(connection, by_unit=False)


def _tell_handlers(report: Report, event: ReportEvent) -> None:
    """The unit's handlers (by their notification mode) and its mailbox. The handlers are found by the
    statement that writes their messages (:func:`tinhso.notify.outbox.send`'s ``recipients``): no round
    trip to read them first — on the intake path of auto-forwarded reports, that look-up was a second
    statement per submission."""
    kind = HANDLER_KINDS[event.action]
    unit_id = report.handling_unit_id
    unit_mailbox = report.handling_unit.email if unit_id and kind == "report_assigned" else ""
    # Handlers read the unit's view: the note of a reassignment or the citizen's answer, never who sent it.
    _send(kind, report, url=site_url(f"/don-vi/phan-anh/{report.code}"),
          recipients=(_handlers_sql(), [Role.HANDLER.value, unit_id]) if unit_id else None,
          emails=[unit_mailbox] if unit_mailbox else [], context={"note": event.note}, now=event.at)


def _tell_reopen_request(report: Report, event: ReportEvent) -> None:
    """A citizen asked to reopen (with their reason): the IOC's operators, who re-forward it, and the
    handlers of the unit whose result it was. Never the citizen's identity; no webhook (the public
    change goes out as ``report_reopened``)."""
    rating = event.data.get("rating")
    context = {"note": event.note, "rating": rating if rating is not None else "",
               "staff_url": site_url(f"/ioc/phan-anh/{report.code}")}
    _send(REOPEN_REQUEST_KIND, report, url=context["staff_url"], context=context, webhook=False, now=event.at,
          recipients=(_members_sql(), [Role.OPERATOR.value]))
    if report.handling_unit_id:
        context = dict(context, staff_url=site_url(f"/don-vi/phan-anh/{report.code}"))
        _send(REOPEN_REQUEST_KIND, report, url=context["staff_url"], context=context, webhook=False, now=event.at,
              recipients=(_handlers_sql(), [Role.HANDLER.value, report.handling_unit_id]))


def secret_recovered(report: Report, secret: str) -> None:
    private = site_url(citizen_secret.private_path(report.code, secret))
    _send("report_link_recovered", report, url=site_url(f"/phan-anh/{report.code}"),
          context={"private_url": private, "secret": secret}, emails=[report.reporter_email],
          sensitive=True, webhook=False)


def secret_reissued(report: Report, secret: str) -> None:
    """A retried submission got a new secret (the first answer may never have arrived): the
    acknowledgement again, with the private link that works now."""
    private = site_url(citizen_secret.private_path(report.code, secret))
    _send("report_acknowledged", report, url=site_url(f"/phan-anh/{report.code}"),
          context={"private_url": private, "secret": secret}, emails=[report.reporter_email],
          sensitive=True, webhook=False)


def deadline_notice(report: Report, step: str, users: list, now: dt.datetime, *, overdue: bool) -> int:
    """Near-due or overdue notice to ``users`` once per (report, step, clock); how many were told now."""
    kind = "report_overdue" if overdue else "report_near_due"
    started = report.accept_started_at if step == "accept" else report.accepted_at
    clock = int(started.timestamp()) if started else 0
    step_vi, step_en = ("tiếp nhận", "acceptance") if step == "accept" else ("xử lý", "handling")
    rows = _send(kind, report, url=site_url(f"/don-vi/phan-anh/{report.code}"), users=users, now=now,
                 context={"step_vi": step_vi, "step_en": step_en}, data={"step": step},
                 dedupe=f"{kind}:{report.code}:{step}:{clock}")
    return len({m.user_id for m in rows if m.user_id})
