"""Open311 GeoReport v2 routes (full paths; mounted at "" by ``tinhso/urls.py``)."""

from django.urls import re_path

from tinhso.reports.open311 import views

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^open311/v2/discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^open311/discovery" + FMT, views.discovery),
    re_path(r"^open311/v2/services" + FMT, views.services, name="open311-services"),
    re_path(r"^open311/v2/services/(?P<service_code>[^/]+?)" + FMT, views.service_definition,
            name="open311-service"),
    re_path(r"^open311/v2/requests" + FMT, views.requests, name="open311-requests"),
    re_path(r"^open311/v2/requests/(?P<service_request_id>[^/]+?)" + FMT, views.request_detail,
            name="open311-request"),
    re_path(r"^open311/v2/tokens/(?P<token>[^/]+?)" + FMT, views.token, name="open311-token"),
    re_path(r"^open311/(?P<path>.*?)(?:\.(?P<fmt>json|xml))?$", views.unknown),
]
