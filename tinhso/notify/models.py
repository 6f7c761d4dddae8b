"""The outbox and its configuration.

- :class:`Message`: one message to one recipient on one channel (inbox, e-mail, webhook), with
  its delivery state. Rows are written by :func:`tinhso.notify.outbox.send` inside the caller's
  transaction and delivered later by :mod:`tinhso.notify.worker`; only delivery fields change.
- :class:`DeliveryAttempt`: append-only log of every delivery try (the failure log).
- :class:`WebhookEndpoint`: an administrator-configured receiver of signed JSON POSTs.
- :class:`Preference`: a staff user's choice of channels (e-mail, inbox or both).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tinhso.core.history import AppendOnlyModel


class Channel(models.TextChoices):
    INBOX = "inbox", "Hộp thư trong hệ thống / In-app inbox"
    EMAIL = "email", "Thư điện tử / E-mail"
    WEBHOOK = "webhook", "Webhook"


class MessageState(models.TextChoices):
    PENDING = "pending", "Chờ gửi / Pending"
    SENT = "sent", "Đã gửi / Sent"
    FAILED = "failed", "Gửi thất bại / Failed"


class Mode(models.TextChoices):
    BOTH = "both", "Thư điện tử và hộp thư / E-mail and inbox"
    EMAIL = "email", "Chỉ thư điện tử / E-mail only"
    INBOX = "inbox", "Chỉ hộp thư trong hệ thống / Inbox only"


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=500, help_text="http(s) URL receiving the signed JSON POST")
    secret = models.CharField(max_length=200, help_text="Shared secret for the HMAC-SHA256 signature")
    kinds = models.CharField(max_length=500, blank=True,
                             help_text="Comma-separated message kinds to send (empty = all kinds)")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "điểm nhận webhook / webhook endpoint"
        verbose_name_plural = "điểm nhận webhook / webhook endpoints"

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        wanted = {k.strip() for k in self.kinds.split(",") if k.strip()}
        return not wanted or kind in wanted


class Message(models.Model):
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=40, db_index=True, help_text="e.g. report_acknowledged, overdue")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notify_messages")
    address = models.CharField(max_length=254, blank=True, help_text="E-mail address (e-mail channel)")
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="messages")
    subject = models.CharField(max_length=255)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    # What the message is about, never personal data: app label + public code + a link.
    ref_app = models.CharField(max_length=40, blank=True)
    ref_code = models.CharField(max_length=64, blank=True, db_index=True)
    ref_url = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="Webhook payload details")
    # The body holds a secret (the citizen's private link): hidden in the admin, erased once sent.
    sensitive = models.BooleanField(default=False)
    # Set for messages that must exist once (e.g. one overdue notice per report, step and user).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    state = models.CharField(max_length=8, choices=MessageState.choices, default=MessageState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="Inbox: when the user marked it read")

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "thông báo / message"
        verbose_name_plural = "hộp thư đi / outbox"
        indexes = (
            models.Index(fields=["state", "next_attempt_at"], name="notify_due",
                         condition=Q(state="pending")),
            models.Index(fields=["user", "channel", "read_at"], name="notify_inbox"),
        )
        permissions = (
            ("use_inbox", "Dùng hộp thư thông báo / Use the notification inbox"),
            ("retry_message", "Gửi lại thông báo / Retry a message now"),
        )

    def __str__(self) -> str:
        return f"{self.channel}:{self.kind} → {self.recipient_label}"

    @property
    def recipient_label(self) -> str:
        if self.channel == Channel.WEBHOOK:
            return self.endpoint.name if self.endpoint_id else "?"
        if self.user_id:
            return self.user.get_username()
        return self.address


class DeliveryAttempt(AppendOnlyModel):
    """One try to deliver a message (append-only): the failure log."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    ok = models.BooleanField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ("at", "id")


class Preference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notify_preference")
    mode = models.CharField(max_length=5, choices=Mode.choices, default=Mode.BOTH)

    def __str__(self) -> str:
        return f"{self.user}: {self.mode}"
