from django.urls import path

from tinhso.analysis import views

urlpatterns = [
    path("phan-tich", views.index, name="analysis-index"),
    path("phan-tich/<str:month>", views.month_page, name="analysis-month"),
    path("phan-tich/<str:month>/tai-ve/<str:name>", views.month_download, name="analysis-month-file"),
    path("phan-tich/<str:month>/don-vi/<slug:unit>", views.unit_page, name="analysis-unit"),
    path("phan-tich/<str:month>/don-vi/<slug:unit>/tai-ve/<str:name>", views.unit_download, name="analysis-unit-file"),
]
