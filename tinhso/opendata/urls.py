from django.urls import path

from tinhso.opendata import api_ckan, views

app_name = "opendata"

urlpatterns = [
    path("du-lieu-mo", views.dataset_list, name="list"),
    path("du-lieu-mo/danh-muc", views.catalogue, name="catalogue"),
    path("du-lieu-mo/dang-tai", views.upload_form, name="upload"),
    path("du-lieu-mo/duyet", views.review_queue, name="review"),
    path("du-lieu-mo/<slug:name>", views.dataset_detail, name="dataset"),
    path("du-lieu-mo/<slug:name>/duyet", views.approve, name="approve"),
    path("du-lieu-mo/<slug:name>/tra-lai", views.reject, name="reject"),
    path("du-lieu-mo/<slug:name>/rut-lai", views.withdraw, name="withdraw"),
    path("du-lieu-mo/<slug:name>/cong-bo-lai", views.republish, name="republish"),
    path("du-lieu-mo/<slug:name>/tai-ve/<str:file_name>", views.download, name="download"),
    path("du-lieu-mo/<slug:name>/phien-ban-moi", views.new_version, name="new_version"),
    path("du-lieu-mo/<slug:name>/phien-ban-moi/duyet", views.approve_version, name="approve_version"),
    path("du-lieu-mo/<slug:name>/phien-ban-moi/tra-lai", views.reject_version, name="reject_version"),
    path("du-lieu-mo/<slug:name>/phien-ban/<int:number>/tai-ve/<str:file_name>", views.version_download,
         name="version_download"),
    path("api/3/action/<str:name>", api_ckan.action, name="ckan"),
    path("api/action/<str:name>", api_ckan.action, name="ckan-unversioned"),
    path("catalog.<str:fmt>", views.catalog_rdf, name="catalog"),
    path("data.json", views.data_json, name="data_json"),
]
