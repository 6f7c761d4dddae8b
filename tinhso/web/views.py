"""Landing page: what this installation holds, with links. No business logic here."""

from __future__ import annotations

from django.shortcuts import render

from tinhso.geo import boundaries, registry


def home(request):
    context = {
        "province": registry.installation_province(),
        "registry": registry.summary(),
        "boundary": boundaries.active_summary(),
    }
    return render(request, "web/home.html", context)
