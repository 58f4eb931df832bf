from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        from accounts.portal import navigation
        from accounts.roles import Cap
        from policies.learning import message_label_source_register

        from . import metrics, panels, privacy, selectors, tenant_webhooks

        navigation.register(navigation.NavItem(20, "Compose", "messaging:compose", Cap.SEND))
        navigation.register(navigation.NavItem(24, "Messages", "messaging:message-list"))
        navigation.register(navigation.NavItem(26, "Broadcasts", "messaging:broadcast-list"))
        navigation.register(navigation.NavItem(22, "Inbox", "messaging:inbox"))
        navigation.register(
            navigation.NavItem(70, "Webhooks", "messaging:webhooks", Cap.MANAGE_CAMPAIGNS)
        )
        panels.register()  # dashboard: held and deferred messages, activity, number queues
        privacy.register()
        tenant_webhooks.register()  # message and broadcast event types (accounts.events)
        metrics.register()  # /metrics: queue depth, sends, callbacks (accounts.metrics)
        # staff decisions on held messages: labelled rows for retraining the policy engine
        message_label_source_register(selectors.reviewed_message_labels)
