"""The staff inbox page ``/hop-thu``: what needs the user (unread first), mark read, channel choice.

Needs the ``notify.use_inbox`` permission (staff groups have it), not ``is_staff``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tinhso.core.i18n import in_language
from tinhso.notify import links, outbox
from tinhso.notify.models import Channel, Message, Mode, Preference
from tinhso.notify.permissions import can_use_inbox

PAGE_SIZE = 50


def inbox(request):
    if not request.user.is_authenticated:
        return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
    if not can_use_inbox(request.user):
        return render(request, "notify/forbidden.html", status=403)
    if request.method == "POST":
        return _post(request)
    qs = (Message.objects.filter(user=request.user, channel=Channel.INBOX)
          .order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    language = request_language()
    site = {links.origin(settings.SITE_URL), links.origin(request.build_absolute_uri("/"))} - {""}
    for message in page.object_list:  # each message in the page's language, not both
        message.shown_subject, message.shown_body = message.in_language(language)
        # Links to this site as paths: the address the message was written with may not be this one.
        origins = site | ({links.origin(message.ref_url)} - {""})
        message.shown_url = links.relative(message.ref_url, origins)
        message.body_parts = links.parts(message.shown_body, origins)
    pref = Preference.objects.filter(user=request.user).first()
    return render(request, "notify/inbox.html", {
        "page": page, "mode": pref.mode if pref else Mode.BOTH, "modes": _modes(),
        "has_email": bool(request.user.email),
    })


def _modes() -> list[tuple[str, str]]:
    english = (request_language() or "vi").startswith("en")
    return [(value, in_language(label, "en" if english else "vi")) for value, label in Mode.choices]


def request_language() -> str:
    from django.utils.translation import get_language

    return get_language() or "vi"


# A message id is a 64-bit key: more digits than this name no message (and would overflow the query).
MAX_ID_DIGITS = 18
MAX_IDS = 500


def _message_ids(values: list[str]) -> list[int]:
    """The message ids a form names: ASCII digits that fit a 64-bit key; anything else names none
    (``"²".isdigit()`` is true but ``int("²")`` fails; 40 digits overflow the database's integer)."""
    return [int(v) for v in values[:MAX_IDS] if v.isascii() and v.isdigit() and len(v) <= MAX_ID_DIGITS]


def _post(request):
    action = request.POST.get("action", "")
    if action == "read":
        outbox.mark_read(request.user, _message_ids(request.POST.getlist("id")))
    elif action == "read_all":
        outbox.mark_read(request.user)
        messages.success(request, _("Đã đánh dấu tất cả là đã đọc."))
    elif action == "preference":
        mode = request.POST.get("mode", "")
        if mode in Mode.values:
            Preference.objects.update_or_create(user=request.user, defaults={"mode": mode})
            messages.success(request, _("Đã lưu cách nhận thông báo."))
        else:
            messages.error(request, _("Lựa chọn không hợp lệ."))
    return redirect("notify-inbox")
