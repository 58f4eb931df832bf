"""Mounted at /2010-04-01/ (config/urls.py), where Twilio's clients look for it."""

from django.urls import path

from . import views

app_name = "twilio"

urlpatterns = [
    path("Accounts/<str:account_sid>/Messages.json", views.MessagesApi.as_view(), name="messages"),
    path(
        "Accounts/<str:account_sid>/Messages/<str:sid>.json",
        views.MessageApi.as_view(),
        name="message",
    ),
]
