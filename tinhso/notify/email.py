"""E-mail transport from one URL: ``TINHSO_EMAIL_URL`` (read into ``settings.NOTIFY_EMAIL_URL``).

Forms (user name and password are URL-encoded)::

    smtp://127.0.0.1:2525                      plain SMTP (a local relay; port 25 by default)
    smtp+starttls://user:pass@host:587         SMTP upgraded with STARTTLS (port 587 by default)
    smtps://user:pass@host:465                 SMTP over TLS (port 465 by default)

Optional query: ``?timeout=20`` (seconds, default 20). The sender is ``TINHSO_EMAIL_FROM``
(``settings.NOTIFY_EMAIL_FROM``). Unset URL: nothing is sent; e-mail messages stay pending in
the outbox ("no mail server configured" in the admin) and go out once a URL is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend

from tinhso.core.errors import UserError

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
DEFAULT_TIMEOUT = 20


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    use_tls: bool  # STARTTLS
    use_ssl: bool  # implicit TLS
    timeout: float


def parse_url(url: str) -> SmtpConfig:
    """Parse an e-mail URL (see the module docstring); :class:`UserError` naming what is wrong."""
    parts = urlsplit((url or "").strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UserError("bad_email_url", f"TINHSO_EMAIL_URL: lược đồ “{scheme}” không hỗ trợ "
                        "(smtp, smtp+starttls, smtps).",
                        f"TINHSO_EMAIL_URL: unsupported scheme {scheme!r} (smtp, smtp+starttls, smtps).")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise UserError("bad_email_url", "TINHSO_EMAIL_URL: cổng không hợp lệ.",
                        "TINHSO_EMAIL_URL: invalid port.") from None
    if not parts.hostname:
        raise UserError("bad_email_url", "TINHSO_EMAIL_URL: thiếu máy chủ.", "TINHSO_EMAIL_URL: no host.")
    query = parse_qs(parts.query)
    try:
        timeout = float(query.get("timeout", [DEFAULT_TIMEOUT])[0])
    except ValueError:
        raise UserError("bad_email_url", "TINHSO_EMAIL_URL: timeout không hợp lệ.",
                        "TINHSO_EMAIL_URL: invalid timeout.") from None
    return SmtpConfig(host=parts.hostname, port=port, username=unquote(parts.username or ""),
                      password=unquote(parts.password or ""), use_tls=scheme == "smtp+starttls",
                      use_ssl=scheme == "smtps", timeout=timeout)


def configured() -> SmtpConfig | None:
    url = getattr(settings, "NOTIFY_EMAIL_URL", "")
    return parse_url(url) if url else None


def sender() -> str:
    return getattr(settings, "NOTIFY_EMAIL_FROM", "") or "tinhso@localhost"


def connection(config: SmtpConfig) -> EmailBackend:
    return EmailBackend(host=config.host, port=config.port, username=config.username or None,
                        password=config.password or None, use_tls=config.use_tls, use_ssl=config.use_ssl,
                        timeout=config.timeout, fail_silently=False)


def deliver(config: SmtpConfig, to: str, subject: str, body: str, html: str = "",
            conn: EmailBackend | None = None) -> None:
    """Send one message; any SMTP/network error propagates (the worker records and retries it)."""
    mail = EmailMultiAlternatives(subject=subject, body=body, from_email=sender(), to=[to],
                                  connection=conn or connection(config))
    if html:
        mail.attach_alternative(html, "text/html")
    mail.send(fail_silently=False)
