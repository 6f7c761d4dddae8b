from django.urls import path

from tinhso.indices import views

app_name = "indices"

urlpatterns = [
    path("chi-so", views.index, name="index"),
    path("chi-so/ket-qua/<str:token>", views.result, name="result"),
    path("chi-so/ket-qua/<str:token>/ket-qua.xlsx", views.result_workbook, name="workbook"),
    path("chi-so/ket-qua/<str:token>/what-if", views.result_whatif, name="whatif"),
    path("chi-so/ket-qua/<str:token>/do-nhay", views.result_sensitivity, name="sensitivity"),
    path("chi-so/phuong-phap/<str:code>", views.method_page, name="method"),
    path("chi-so/vi-du/<str:name>", views.example, name="example"),
]
