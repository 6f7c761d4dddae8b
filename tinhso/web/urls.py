from django.urls import path

from tinhso.web import basemap, views

urlpatterns = [
    path("", views.home, name="home"),
    path(basemap.PMTILES_URL.lstrip("/"), basemap.serve_pmtiles, name="basemap-pmtiles"),
]
