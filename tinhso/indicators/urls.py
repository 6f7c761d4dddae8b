from django.urls import path

from tinhso.indicators import views

app_name = "indicators"

urlpatterns = [
    path("ke-hoach", views.plan_list, name="plans"),
    path("ke-hoach/<slug:code>", views.plan_detail, name="plan"),
    path("ke-hoach/<slug:code>/mau-nhap-lieu.xlsx", views.plan_template, name="template"),
    path("ke-hoach/<slug:code>/xuat.<str:fmt>", views.plan_export, name="export"),
    path("ke-hoach/<slug:code>/nhap", views.plan_import, name="import"),
    path("ke-hoach/<slug:code>/nhap-so-lieu", views.plan_entry, name="entry"),
    path("ke-hoach/<slug:code>/duyet", views.plan_approval, name="approval"),
    path("ke-hoach/<slug:code>/hop-nhat", views.plan_merged, name="merged"),
    path("ke-hoach/<slug:code>/chi-tieu/<slug:indicator>", views.indicator_history, name="history"),
]
