from django.urls import path

from tinhso.notify import views

urlpatterns = [
    path("hop-thu", views.inbox, name="notify-inbox"),
]
