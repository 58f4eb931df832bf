from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Contacts and consent"

    def ready(self) -> None:
        from accounts.portal import navigation, readiness
        from accounts.portal.navigation import NavItem
        from accounts.roles import Cap

        navigation.register(NavItem(40, "Contacts", "consent:contacts"))
        navigation.register(NavItem(42, "Opt-in forms", "consent:forms", Cap.MANAGE_CONTACTS))
        navigation.register(NavItem(44, "Imports", "consent:imports", Cap.MANAGE_CONTACTS))
        readiness.register(optin_form_step)

        from . import metrics

        metrics.register()  # /metrics: opt-outs in the ledger (accounts.metrics)

        from . import privacy

        privacy.register()  # imports' files and closed businesses in erasure and retention

        from . import webhook_events

        webhook_events.register()  # consent and import events (accounts.events' catalog)


def optin_form_step(business):
    from django.urls import NoReverseMatch, reverse

    from accounts.portal.readiness import Step

    from .models import OptInForm

    done = OptInForm.objects.filter(business=business, is_active=True).exists()
    try:
        url = reverse("consent:form-create")
    except NoReverseMatch:
        url = ""
    return Step(
        order=40,
        title="Build an opt-in form",
        done=done,
        help=(
            "Embed an opt-in form on your website so clients can consent to your texts, "
            "with the disclosure carriers ask for and double opt-in."
            if not done
            else "Your opt-in form is live."
        ),
        url=url,
        blocking=False,
    )
