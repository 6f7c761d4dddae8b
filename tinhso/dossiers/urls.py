from django.urls import path

from tinhso.dossiers import views

app_name = "dossiers"

urlpatterns = [
    path("dich-vu-cong", views.index, name="index"),
    path("dich-vu-cong/co-quan/<str:code>", views.agency_page, name="agency"),
    path("dich-vu-cong/ho-so", views.dossier_list, name="list"),
]
