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


def licence(request):
    """The licence and where the source is (AGPL-3.0 section 13): linked from every page's footer."""
    from django.conf import settings

    from tinhso.web import source

    context = {
        "version": source.version(),
        "source_url": settings.SOURCE_URL,
        "licence_text": source.licence_text(),
    }
    return render(request, "web/licence.html", context)


def source_archive(request):
    """The code this server runs, as a .tar.gz (built once per code version, then served from disk)."""
    from django.http import FileResponse, HttpResponse

    from tinhso.core import ratelimit
    from tinhso.core.clientaddr import client_ip
    from tinhso.core.errors import UserError
    from tinhso.web import source

    try:
        ratelimit.hit(f"web:source:ip:{client_ip(request)}", 10)
    except UserError as err:
        response = HttpResponse(f"{err.message_vi}\n{err.message_en}\n", status=429, content_type="text/plain")
        response["Retry-After"] = str(err.details.get("retry_after", 60))
        return response
    path = source.archive()
    response = FileResponse(open(path, "rb"), as_attachment=True,  # noqa: SIM115 (closed by the response) filename=f"tinhso-{source.version()}-source.tar.gz",
                            content_type="application/gzip")
    response["Cache-Control"] = "public, max-age=3600"
    return response
