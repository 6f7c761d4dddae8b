from django.urls import path

from tinhso.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
