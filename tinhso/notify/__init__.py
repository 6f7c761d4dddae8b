"""Notifications: a persisted outbox delivered by a worker to the staff inbox, e-mail and webhooks.

Apps hand messages to :func:`tinhso.notify.outbox.send` (re-exported here as ``send``); notify
imports no capability app. See ``docs/notify.md``.
"""


def send(*args, **kwargs):
    from tinhso.notify.outbox import send as _send

    return _send(*args, **kwargs)


def site_url(path: str) -> str:
    """``path`` on this site, absolute (``SITE_URL``): the links messages carry out of the site."""
    from django.conf import settings

    return f"{getattr(settings, 'SITE_URL', '')}{path}"
