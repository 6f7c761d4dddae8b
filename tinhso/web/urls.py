from django.urls import path

from tinhso.web import basemap, views

urlpatterns = [
    path("", views.home, name="home"),
    path("giay-phep", views.licence, name="licence"),
    path("giay-phep/ma-nguon.tar.gz", views.source_archive, name="source-archive"),
    path(basemap.PMTILES_URL.lstrip("/"), basemap.serve_pmtiles, name="basemap-pmtiles"),
]
