from django.urls import path

from . import views

urlpatterns = [
    path("messages/", views.message_list_send, name="api-messages"),
    path("messages/<uuid:message_uuid>/", views.MessageDetailApi.as_view(), name="api-message"),
    path(
        "messages/<uuid:message_uuid>/cancel/",
        views.MessageCancelApi.as_view(),
        name="api-message-cancel",
    ),
    path("inbound/", views.InboundListApi.as_view(), name="api-inbound"),
    path("broadcasts/", views.BroadcastListCreateApi.as_view(), name="api-broadcasts"),
    path(
        "broadcasts/estimate/", views.BroadcastEstimateApi.as_view(), name="api-broadcast-estimate"
    ),
    path(
        "broadcasts/<uuid:broadcast_uuid>/",
        views.BroadcastDetailApi.as_view(),
        name="api-broadcast",
    ),
    path(
        "broadcasts/<uuid:broadcast_uuid>/start/",
        views.BroadcastStartApi.as_view(),
        name="api-broadcast-start",
    ),
    path(
        "broadcasts/<uuid:broadcast_uuid>/cancel/",
        views.BroadcastCancelApi.as_view(),
        name="api-broadcast-cancel",
    ),
    path(
        "broadcasts/<uuid:broadcast_uuid>/recipients/",
        views.BroadcastRecipientsApi.as_view(),
        name="api-broadcast-recipients",
    ),
    path("webhooks/", views.WebhookListCreateApi.as_view(), name="api-webhooks"),
    path("webhooks/<uuid:endpoint_uuid>/", views.WebhookDetailApi.as_view(), name="api-webhook"),
    path(
        "webhooks/<uuid:endpoint_uuid>/deliveries/",
        views.WebhookDeliveryListApi.as_view(),
        name="api-webhook-deliveries",
    ),
]
