"""The outbox in the admin: a read-only list with filters, the try log, and "retry now"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tinhso.notify import email, worker
from tinhso.notify.models import Channel, DeliveryAttempt, Message, MessageState, Preference, WebhookEndpoint
from tinhso.notify.permissions import RETRY_PERMISSION

NO_MAIL_SERVER = _("Chưa cấu hình máy chủ thư")


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("at", "ok", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "channel", "kind", "recipient", "subject", "ref_code", "status", "attempts",
                    "next_attempt_at")
    list_filter = ("state", "channel", "kind", "created_at")
    search_fields = ("subject", "ref_code", "address", "user__username")
    date_hierarchy = "created_at"
    actions = ("retry_now",)
    inlines = (AttemptInline,)
    fields = ("channel", "kind", "recipient", "subject", "shown_body", "ref_app", "ref_code", "ref_url", "status",
              "attempts", "next_attempt_at", "last_error", "created_at", "sent_at", "read_at")
    readonly_fields = fields
    list_select_related = ("user", "endpoint")

    @admin.display(description=_("Người nhận"))
    def recipient(self, obj: Message) -> str:
        return obj.recipient_label

    @admin.display(description=_("Nội dung"))
    def shown_body(self, obj: Message) -> str:
        if obj.sensitive and obj.state != MessageState.SENT:
            return _("(Ẩn: chứa đường dẫn riêng của người dân.)")
        return obj.body

    @admin.display(description=_("Trạng thái"), ordering="state")
    def status(self, obj: Message) -> str:
        label = obj.get_state_display()
        if obj.channel == Channel.EMAIL and obj.state == MessageState.PENDING and not _mail_configured():
            return f"{label} — {NO_MAIL_SERVER}"
        return label

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm(RETRY_PERMISSION)

    @admin.action(description=_("Gửi lại ngay"), permissions=["retry"])
    def retry_now(self, request, queryset):
        count = worker.retry_now(queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} thông báo sẽ được gửi lại ngay. / {count} message(s) due now.",
                          messages.SUCCESS)


def _mail_configured() -> bool:
    try:
        return email.configured() is not None
    except Exception:  # noqa: BLE001 — a malformed URL is shown as "not configured"
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "kinds", "active")
    list_filter = ("active",)


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "mode")
    list_filter = ("mode",)
