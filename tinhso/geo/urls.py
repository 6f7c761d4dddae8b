from django.urls import path

from tinhso.geo import pages

urlpatterns = [
    path("don-vi-hanh-chinh", pages.units, name="geo-units"),
    path("don-vi-hanh-chinh/<str:structure>/<str:code>", pages.unit, name="geo-unit"),
]
