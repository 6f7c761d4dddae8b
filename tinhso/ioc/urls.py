from django.urls import path

from tinhso.ioc import views

urlpatterns = [
    path("ioc", views.wall, name="ioc-wall"),
    path("ioc/cong-khai", views.public_wall, name="ioc-public-wall"),
]
