"""Template context: the unread count of the signed-in user's inbox, for the site header."""

from __future__ import annotations

from tinhso.notify.permissions import can_use_inbox


def inbox(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not can_use_inbox(user):
        return {}
    from tinhso.notify.outbox import unread_count

    return {"notify_inbox": True, "notify_unread": unread_count(user)}
