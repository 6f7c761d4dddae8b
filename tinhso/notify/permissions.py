"""Who may use the in-app inbox: the ``notify.use_inbox`` permission (given to staff groups)."""

from __future__ import annotations

INBOX_PERMISSION = "notify.use_inbox"
RETRY_PERMISSION = "notify.retry_message"


def can_use_inbox(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(INBOX_PERMISSION))
