from django.urls import path

from . import views

urlpatterns = [
    path("business/", views.BusinessCurrentApi.as_view(), name="api-business"),
    path("members/", views.MemberListApi.as_view(), name="api-members"),
]
