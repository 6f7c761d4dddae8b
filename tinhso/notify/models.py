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
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tinhso.core.history import AppendOnlyModel


class Channel(models.TextChoices):
    INBOX = "inbox", _("Hộp thư trong hệ thống")
    EMAIL = "email", _("Thư điện tử")
    WEBHOOK = "webhook", "Webhook"


class MessageState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi thất bại")


class Mode(models.TextChoices):
    BOTH = "both", _("Thư điện tử và hộp thư")
    EMAIL = "email", _("Chỉ thư điện tử")
    INBOX = "inbox", _("Chỉ hộp thư trong hệ thống")


class WebhookEndpoint(models.Model):
    name = models.CharField(verbose_name=_("tên"), max_length=120)
    url = models.URLField(verbose_name=_("địa chỉ URL"), max_length=500, help_text="http(s) URL receiving the signed JSON POST")
    secret = models.CharField(verbose_name=_("khóa ký"), max_length=200, help_text="Shared secret for the HMAC-SHA256 signature")
    kinds = models.CharField(verbose_name=_("loại thông báo"), max_length=500, blank=True,
                             help_text="Comma-separated message kinds to send (empty = all kinds)")
    active = models.BooleanField(verbose_name=_("đang dùng"), default=True)

    class Meta:
        verbose_name = _("điểm nhận webhook")
        verbose_name_plural = pgettext_lazy("plural", "điểm nhận webhook")

    def __str__(self) -> str:
        return self.name

    def wants(self, kind: str) -> bool:
        wanted = {k.strip() for k in self.kinds.split(",") if k.strip()}
        return not wanted or kind in wanted


class Message(models.Model):
    channel = models.CharField(verbose_name=_("kênh"), max_length=8, choices=Channel.choices)
    kind = models.CharField(verbose_name=_("loại"), max_length=40, help_text="e.g. report_acknowledged, overdue")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notify_messages", db_index=False)
    address = models.CharField(verbose_name=_("địa chỉ nhận"), max_length=254, blank=True, help_text="E-mail address (e-mail channel)")
    endpoint = models.ForeignKey(WebhookEndpoint, verbose_name=_("điểm nhận webhook"), null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="messages", db_index=False)
    subject = models.CharField(verbose_name=_("tiêu đề"), max_length=255)
    body = models.TextField(verbose_name=_("nội dung"))
    body_html = models.TextField(verbose_name=_("nội dung HTML"), blank=True)
    # Where the Vietnamese and English halves of a bilingual subject and body are (written by
    # tinhso.notify.outbox.render/send): {"subject": [vi_end, en_start, code_prefix], "body": [vi_end,
    # en_start]}; the inbox shows the half in the reader's language (tinhso.notify.languages).
    halves = models.JSONField(verbose_name=_("vị trí hai ngôn ngữ"), default=dict, blank=True)
    # What the message is about, never personal data: app label + public code + a link.
    ref_app = models.CharField(verbose_name=_("ứng dụng liên quan"), max_length=40, blank=True)
    ref_code = models.CharField(verbose_name=_("mã liên quan"), max_length=64, blank=True)
    ref_url = models.CharField(verbose_name=_("đường dẫn liên quan"), max_length=500, blank=True)
    data = models.JSONField(verbose_name=_("dữ liệu"), default=dict, blank=True, help_text="Webhook payload details")
    # The body holds a secret (the citizen's private link): hidden in the admin, erased once sent.
    sensitive = models.BooleanField(verbose_name=_("nhạy cảm"), default=False)
    # Set for messages that must exist once (e.g. one overdue notice per report, step and user).
    # Unique where set (the constraint below: a partial index, so the messages without a key, nearly all,
    # write no entry in it, and no LIKE twin is made on PostgreSQL).
    dedupe_key = models.CharField(verbose_name=_("khóa chống trùng"), max_length=200, null=True, blank=True)

    state = models.CharField(verbose_name=_("trạng thái"), max_length=8, choices=MessageState.choices, default=MessageState.PENDING)
    attempts = models.PositiveSmallIntegerField(verbose_name=_("số lần gửi"), default=0)
    next_attempt_at = models.DateTimeField(verbose_name=_("gửi lại lúc"))  # the worker's queue: notify_due_<channel>
    last_error = models.TextField(verbose_name=_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(verbose_name=_("tạo lúc"), db_index=True)
    sent_at = models.DateTimeField(verbose_name=_("gửi lúc"), null=True, blank=True)
    read_at = models.DateTimeField(verbose_name=_("đọc lúc"), null=True, blank=True, help_text="Inbox: when the user marked it read")

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("thông báo")
        verbose_name_plural = pgettext_lazy("plural", "hộp thư đi")
        indexes = (
            # The worker's claim, one index per delivered channel on its pending rows only: each
            # channel's due messages come in due order, and a channel the worker does not deliver (e-mail
            # before TINHSO_EMAIL_URL is set) is never read, however many of its messages wait.
            models.Index(fields=["next_attempt_at", "id"], name="notify_due_email",
                         condition=Q(state="pending", channel="email")),
            models.Index(fields=["next_attempt_at", "id"], name="notify_due_webhook",
                         condition=Q(state="pending", channel="webhook")),
            # Every submission writes a message (the citizen's acknowledgement, to an address): the
            # user and the webhook endpoint are indexed on the rows that have one (the inbox reads and
            # the foreign keys' cascades filter on them), and nothing is indexed for the admin's
            # filters alone (kind, ref_code: its search is a substring match no B-tree serves).
            models.Index(fields=["user", "channel", "read_at"], name="notify_user_inbox",
                         condition=Q(user__isnull=False)),
            models.Index(fields=["endpoint"], condition=Q(endpoint__isnull=False), name="notify_endpoint"),
        )
        constraints = (
            models.UniqueConstraint(fields=["dedupe_key"], condition=Q(dedupe_key__isnull=False),
                                    name="notify_dedupe_key_unique"),
        )
        permissions = (
            ("use_inbox", "Dùng hộp thư thông báo / Use the notification inbox"),
            ("retry_message", "Gửi lại thông báo / Retry a message now"),
        )

    def __str__(self) -> str:
        return f"{self.channel}:{self.kind} → {self.recipient_label}"

    def in_language(self, language: str) -> tuple[str, str]:
        """(subject, body) in ``language`` ("vi" or "en"): :func:`tinhso.notify.languages.message_in`."""
        from tinhso.notify.languages import message_in

        return message_in(self, language)

    @property
    def recipient_label(self) -> str:
        if self.channel == Channel.WEBHOOK:
            return self.endpoint.name if self.endpoint_id else "?"
        if self.user_id:
            return self.user.get_username()
        return self.address


class DeliveryAttempt(AppendOnlyModel):
    """One try to deliver a message (append-only): the failure log."""

    message = models.ForeignKey(Message, verbose_name=_("thông báo"), on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(verbose_name=_("thời điểm"))
    ok = models.BooleanField(verbose_name=_("thành công"))
    error = models.TextField(verbose_name=_("lỗi"), blank=True)

    class Meta:
        verbose_name = _("lần gửi")
        verbose_name_plural = pgettext_lazy("plural", "lần gửi")
        ordering = ("at", "id")


class Preference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("tài khoản"), on_delete=models.CASCADE,
                                related_name="notify_preference")
    mode = models.CharField(verbose_name=_("cách nhận"), max_length=5, choices=Mode.choices, default=Mode.BOTH)

    def __str__(self) -> str:
        return f"{self.user}: {self.mode}"

    class Meta:
        verbose_name = _("lựa chọn nhận thông báo")
        verbose_name_plural = pgettext_lazy("plural", "lựa chọn nhận thông báo")
