"""Demo data for ``make run``: an opt-in form and a few consenting contacts. Idempotent."""

from django.conf import settings
from django.db import transaction

from campaigns.models import Campaign

from . import disclosure, services
from .models import Contact, Method, OptInForm

PEOPLE = [
    ("+13125550101", "Avery Jones", ["patients", "vip"]),
    ("+13125550102", "Blake Moore", ["patients"]),
    ("+13125550103", "Casey Diaz", ["patients", "newsletter"]),
]


@transaction.atomic
def seed(*, business, owner) -> None:
    campaign = (
        Campaign.objects.filter(business=business, status=Campaign.Status.APPROVED)
        .order_by("id")
        .first()
    )
    form = OptInForm.objects.filter(business=business, name="Website sign-up").first()
    if form is None:
        form = services.optin_form_create(
            business=business,
            actor=owner.user,
            campaigns=[campaign] if campaign else [],
            name="Website sign-up",
            headline="Get appointment reminders by text",
            program_name=f"{business.display_name} Reminders",
            message_description="appointment reminders and occasional offers",
            frequency="Up to 4 msgs/month",
            terms_url=f"{business.website.rstrip('/')}/terms",
            privacy_url=f"{business.website.rstrip('/')}/privacy",
            # the business's own site, and this portal's (a page to try the form on locally)
            allowed_origins=[business.website, settings.SITE_URL],
        )
    text = disclosure.for_form(form).text
    for phone, name, tags in PEOPLE:
        if Contact.objects.filter(business=business, phone=phone).exists():
            continue
        contact, _ = services.contact_get_or_create(
            business=business, phone=phone, name=name, tags=tags, source="form"
        )
        services.consent_record_opt_in(
            business=business,
            contact=contact,
            method=Method.WEB_FORM,
            campaign=campaign,
            kind=None if campaign else "marketing",
            evidence={
                "disclosure_text": text,
                "form": form,
                "page_url": f"{business.website.rstrip('/')}/appointments",
                "ip": "203.0.113.10",
                "user_agent": "Mozilla/5.0 (demo)",
                "recorded_by_label": f"opt-in form {form.uuid}",
                "data": {"phone": phone, "name": name, "age_13_or_older": True},
            },
            double_opt_in=False,
        )
