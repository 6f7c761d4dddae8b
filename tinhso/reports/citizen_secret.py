"""The submitter's secret: proof that whoever rates, asks to reopen or answers is the citizen who sent it.

The tracking code ``PA-XXXXX-XXXXX`` is public (public list, Open311 ``service_request_id``), so
it cannot authorise anything. At submission each report gets a second, private code — the
*citizen secret*, ``XXXXX-XXXXX-XXXXX`` (15 Crockford base32 characters, 75 random bits) — given
to the submitter once: in the private link ``/phan-anh/<code>?k=<secret>`` on the confirmation
page, as ``citizen_token`` in the native API and Open311 submit responses.

Only ``sha256("<tracking code>:<secret>")`` is stored (like API keys): the tracking code salts it,
so a leaked table cannot be attacked for all reports at once, and 75 bits are out of reach of a
brute-force search even with fast hashes. Comparison is constant-time. Reports without a hash
(synthetic demo rows, reports older than the secret) have no submitter who can act online: those
actions are refused with a message saying so.

:func:`holder` turns a secret into the :class:`~tinhso.reports.permissions.Actor` the citizen
actions need; :mod:`tinhso.reports.workflow` refuses citizen actions from any other actor.

A retried submission (same idempotency key and scope) from the web form gets the secret that
browser was given (kept in its session). Any other retry within :data:`REISSUE_MINUTES` gets a
fresh secret (the first answer may never have arrived; the earlier secret stops working, and the
new private link is e-mailed if the citizen gave an address); later retries get none. Every reissue is recorded in the report's (internal) history.

A citizen who lost the link asks for a new one with the tracking code and the e-mail address
they gave (:func:`recover`): if both match, a *new* secret is issued (the old link stops working)
and e-mailed to that address only; the page never says whether they matched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import urlencode

from django.utils import timezone

from tinhso.core.errors import UserError
from tinhso.reports.models import Report, ReportEvent, random_base32
from tinhso.reports.permissions import CITIZEN, Actor

GROUPS, GROUP_SIZE = 3, 5  # XXXXX-XXXXX-XXXXX: 15 characters × 5 bits = 75 bits
REISSUE_MINUTES = 15
FIELD = "citizen_token"
# Crockford's decoding: letters people confuse with digits are read as those digits.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_secret() -> str:
    chars = random_base32(GROUPS * GROUP_SIZE)
    return "-".join(chars[i:i + GROUP_SIZE] for i in range(0, len(chars), GROUP_SIZE))


def normalize(text) -> str:
    """What the citizen typed, reduced to the 15 significant characters (case, spaces, dashes ignored)."""
    raw = "".join(str(text or "").split()).replace("-", "").upper()
    return raw.translate(_ALIASES)


def digest(code: str, secret: str) -> str:
    return hashlib.sha256(f"{code.upper()}:{normalize(secret)}".encode()).hexdigest()


def issue(report: Report) -> str:
    """Give ``report`` a new secret (set on the instance, not saved) and return it in clear."""
    secret = new_secret()
    report.citizen_secret_hash = digest(report.code, secret)
    return secret


def matches(report: Report, secret) -> bool:
    """Whether ``secret`` is the report's citizen secret (constant-time; False when none was issued)."""
    stored = report.citizen_secret_hash or ""
    if not stored or not normalize(secret):
        return False
    return hmac.compare_digest(stored, digest(report.code, secret))


def holder(report: Report, secret) -> Actor:
    """The citizen actor for ``report`` if ``secret`` is its submitter's secret; else a 403."""
    if not report.citizen_secret_hash:
        raise UserError(
            "citizen_secret_unavailable",
            f"Phản ánh {report.code} không có mã bí mật của người gửi (dữ liệu mô phỏng hoặc phản ánh cũ), "
            "nên không ai có thể đánh giá, bổ sung thông tin hay đề nghị xử lý lại thay người gửi qua mạng. "
            "Vui lòng liên hệ Trung tâm IOC.",
            f"Report {report.code} has no submitter secret (synthetic demo data or an older report), so no one "
            "can rate it, answer questions or ask to reopen it online. Please contact the IOC.",
            field=FIELD, status=403)
    if not normalize(secret):
        raise UserError(
            "citizen_secret_required",
            "Chỉ người gửi phản ánh mới làm được việc này: cần mã bí mật (trong đường dẫn riêng nhận được "
            "khi gửi phản ánh).",
            "Only the person who sent the report may do this: the secret code is required (it is in the "
            "private link given when the report was sent).",
            field=FIELD, status=403)
    if not matches(report, secret):
        raise UserError(
            "citizen_secret_wrong",
            f"Mã bí mật không đúng với phản ánh {report.code}.",
            f"The secret code does not match report {report.code}.",
            field=FIELD, status=403)
    return Actor(label=CITIZEN, roles=frozenset({CITIZEN}), holds_report=report.code)


def reissue(report: Report, *, label: str = CITIZEN, now: dt.datetime | None = None) -> str | None:
    """A fresh secret for a retried submission, if the report is recent enough; else ``None``."""
    now = now or timezone.now()
    if now - report.created_at > dt.timedelta(minutes=REISSUE_MINUTES):
        return None
    secret = new_secret()
    report.citizen_secret_hash = digest(report.code, secret)
    Report.objects.filter(pk=report.pk).update(citizen_secret_hash=report.citizen_secret_hash)
    ReportEvent.objects.create(report=report, at=now, actor_label=label[:120], actor_role=CITIZEN,
                               action="reissue_secret", from_state=report.state, to_state=report.state,
                               note="Cấp lại mã bí mật cho lần gửi lại cùng khóa chống trùng. / "
                                    "Secret reissued for a retried submission.", public=False)
    return secret


def private_path(code: str, secret: str) -> str:
    """The submitter's private link (relative): ``/phan-anh/<code>?k=<secret>``."""
    return f"/phan-anh/{code}?{urlencode({'k': secret})}"


def recover(code: str, email: str, *, now: dt.datetime | None = None) -> bool:
    """E-mail a new private link if ``email`` is the report's contact address; whether it was sent.

    The caller must not reveal the result (it would confirm who sent a report).
    """
    from django.db import transaction

    from tinhso.reports import notices

    email = (email or "").strip()
    report = Report.objects.select_related("category", "handling_unit").filter(
        code=(code or "").strip().upper()).first()
    if report is None or not email or not report.reporter_email \
            or report.reporter_email.strip().casefold() != email.casefold():
        return False
    now = now or timezone.now()
    with transaction.atomic():
        secret = new_secret()
        report.citizen_secret_hash = digest(report.code, secret)
        Report.objects.filter(pk=report.pk).update(citizen_secret_hash=report.citizen_secret_hash)
        ReportEvent.objects.create(report=report, at=now, actor_label=CITIZEN, actor_role=CITIZEN,
                                   action="reissue_secret", from_state=report.state, to_state=report.state,
                                   note="Cấp đường dẫn riêng mới qua thư điện tử theo yêu cầu. / "
                                        "New private link e-mailed on request.", public=False)
        notices.secret_recovered(report, secret)
    return True
