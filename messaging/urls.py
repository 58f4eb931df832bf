"""Portal and public pages of messaging. Portal pages live under /app/."""

from django.urls import path

from . import provider_webhooks, views

app_name = "messaging"

urlpatterns: list = [
    # Provider webhooks: public, authenticated by their signatures.
    path(
        "webhooks/carrier/status/", provider_webhooks.carrier_status, name="webhook-carrier-status"
    ),
    path(
        "webhooks/carrier/inbound/",
        provider_webhooks.carrier_inbound,
        name="webhook-carrier-inbound",
    ),
    path("webhooks/twilio/status/", provider_webhooks.twilio_status, name="webhook-twilio-status"),
    path(
        "webhooks/twilio/inbound/", provider_webhooks.twilio_inbound, name="webhook-twilio-inbound"
    ),
    # Portal
    path("app/compose/", views.ComposeView.as_view(), name="compose"),
    path("app/compose/check/", views.ComposeCheckView.as_view(), name="compose-check"),
    path("app/compose/contacts/", views.ComposeContactsView.as_view(), name="compose-contacts"),
    path("app/messages/", views.MessageListView.as_view(), name="message-list"),
    path(
        "app/messages/<uuid:message_uuid>/",
        views.MessageDetailView.as_view(),
        name="message-detail",
    ),
    path(
        "app/messages/<uuid:message_uuid>/cancel/",
        views.MessageCancelView.as_view(),
        name="message-cancel",
    ),
    path("app/broadcasts/", views.BroadcastListView.as_view(), name="broadcast-list"),
    path("app/broadcasts/new/", views.BroadcastCreateView.as_view(), name="broadcast-create"),
    path(
        "app/broadcasts/<uuid:broadcast_uuid>/",
        views.BroadcastDetailView.as_view(),
        name="broadcast-detail",
    ),
    path(
        "app/broadcasts/<uuid:broadcast_uuid>/progress/",
        views.BroadcastProgressView.as_view(),
        name="broadcast-progress",
    ),
    path(
        "app/broadcasts/<uuid:broadcast_uuid>/start/",
        views.BroadcastStartView.as_view(),
        name="broadcast-start",
    ),
    path(
        "app/broadcasts/<uuid:broadcast_uuid>/cancel/",
        views.BroadcastCancelView.as_view(),
        name="broadcast-cancel",
    ),
    path("app/inbox/", views.InboxView.as_view(), name="inbox"),
    path(
        "app/inbox/quick-replies/", views.QuickReplyCreateView.as_view(), name="quick-reply-create"
    ),
    path(
        "app/inbox/quick-replies/<uuid:reply_uuid>/delete/",
        views.QuickReplyDeleteView.as_view(),
        name="quick-reply-delete",
    ),
    path("app/inbox/<uuid:contact_uuid>/", views.ThreadView.as_view(), name="thread"),
    path(
        "app/inbox/<uuid:contact_uuid>/reply/",
        views.ThreadReplyView.as_view(),
        name="thread-reply",
    ),
    path(
        "app/inbox/<uuid:contact_uuid>/assign/",
        views.ThreadAssignView.as_view(),
        name="thread-assign",
    ),
    path("app/webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path(
        "app/webhooks/<uuid:endpoint_uuid>/",
        views.WebhookDetailView.as_view(),
        name="webhook-detail",
    ),
    path(
        "app/webhooks/<uuid:endpoint_uuid>/toggle/",
        views.WebhookToggleView.as_view(),
        name="webhook-toggle",
    ),
    path(
        "app/webhooks/<uuid:endpoint_uuid>/rotate/",
        views.WebhookRotateView.as_view(),
        name="webhook-rotate",
    ),
    path(
        "app/webhooks/<uuid:endpoint_uuid>/test/",
        views.WebhookTestView.as_view(),
        name="webhook-test",
    ),
    path(
        "app/webhooks/<uuid:endpoint_uuid>/events/",
        views.WebhookEventsView.as_view(),
        name="webhook-events",
    ),
    path(
        "app/webhooks/<uuid:endpoint_uuid>/deliveries/<uuid:delivery_uuid>/resend/",
        views.WebhookResendView.as_view(),
        name="webhook-resend",
    ),
    path(
        "app/webhooks/<uuid:endpoint_uuid>/delete/",
        views.WebhookDeleteView.as_view(),
        name="webhook-delete",
    ),
]
