"""Web pages of field reports (full paths; mounted at "" by ``tinhso/urls.py``).

Citizen and public pages under ``/phan-anh``, the IOC operator's under ``/ioc/phan-anh``, the
handling unit's under ``/don-vi/phan-anh``; staff sign in at ``/dang-nhap``.
"""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from tinhso.core import signin
from tinhso.reports import pages, ratelimit

# A tracking code, PA-XXXXX-XXXXX (any case: the view redirects to the upper-case form).
CODE = r"(?P<code>[Pp][Aa]-[0-9A-Za-z]{5}-[0-9A-Za-z]{5})"

urlpatterns = [
    # Citizen
    path("phan-anh", pages.submit, name="reports-submit"),
    path("phan-anh/tra-cuu", pages.lookup, name="reports-lookup"),
    re_path(rf"^phan-anh/{CODE}$", pages.track, name="reports-track"),
    re_path(rf"^phan-anh/{CODE}/danh-gia$", pages.rate, name="reports-rate"),
    re_path(rf"^phan-anh/{CODE}/mo-lai$", pages.request_reopen, name="reports-request-reopen"),
    re_path(rf"^phan-anh/{CODE}/bo-sung$", pages.provide_info, name="reports-provide-info"),
    re_path(rf"^phan-anh/{CODE}/anh/(?P<token>[0-9A-Za-z_-]{{8,32}})$", pages.citizen_photo, name="reports-citizen-photo"),
    # Public
    path("phan-anh/cong-khai", pages.public_list, name="reports-public"),
    re_path(rf"^phan-anh/cong-khai/{CODE}$", pages.public_detail, name="reports-public-detail"),
    path("phan-anh/thong-ke", pages.statistics, name="reports-stats"),
    path("phan-anh/ban-do/xa.geojson", pages.commune_polygons, name="reports-basemap"),
    # Staff
    path("dang-nhap", ratelimit.limit_posts("login", signin.guard(auth_views.LoginView.as_view(
        template_name="reports/login.html", redirect_authenticated_user=True, next_page="/can-bo"))),
        name="reports-login"),
    path("dang-xuat", auth_views.LogoutView.as_view(next_page="/"), name="reports-logout"),
    path("can-bo", pages.staff_home, name="reports-staff-home"),
    path("ioc/phan-anh", pages.ioc_queue, name="reports-ioc-queue"),
    path("ioc/phan-anh.csv", pages.ioc_queue_csv, name="reports-ioc-queue-csv"),
    path("ioc/phan-anh/hang-loat", pages.ioc_bulk, name="reports-ioc-bulk"),
    re_path(rf"^ioc/phan-anh/{CODE}$", pages.ioc_detail, name="reports-ioc-detail"),
    re_path(rf"^ioc/phan-anh/{CODE}/thao-tac$", pages.ioc_action, name="reports-ioc-action"),
    path("don-vi/phan-anh", pages.unit_inbox, name="reports-unit-inbox"),
    path("don-vi/phan-anh.csv", pages.unit_inbox_csv, name="reports-unit-inbox-csv"),
    path("don-vi/phan-anh/hang-loat", pages.unit_bulk, name="reports-unit-bulk"),
    re_path(rf"^don-vi/phan-anh/{CODE}$", pages.unit_detail, name="reports-unit-detail"),
    re_path(rf"^don-vi/phan-anh/{CODE}/thao-tac$", pages.unit_action, name="reports-unit-action"),
]
