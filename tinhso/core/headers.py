"""Response headers Django does not set by itself: ``Permissions-Policy``.

(``Content-Security-Policy`` comes from django-csp; HSTS, ``X-Content-Type-Options``,
``Referrer-Policy`` and ``X-Frame-Options`` from Django's security and clickjacking middleware.)
"""

from __future__ import annotations

from django.conf import settings

# The citizen's report form asks for the phone's position (GPS); nothing asks for anything else.
DEFAULT_PERMISSIONS_POLICY = ("geolocation=(self), camera=(), microphone=(), payment=(), usb=(), "
                              "interest-cohort=()")


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.value = getattr(settings, "PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
