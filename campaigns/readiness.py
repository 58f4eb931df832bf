"""The dashboard's "before you can send" steps contributed by campaigns."""

from django.urls import reverse

from accounts.portal.readiness import Step

from . import selectors
from .models import Brand, Campaign


def brand_step(business) -> Step:
    brands = list(selectors.brand_list(business=business)[:5])
    done = any(b.status == Brand.Status.OK for b in brands)
    if done:
        help_text = "Your brand is registered with The Campaign Registry."
    elif any(b.status == Brand.Status.REGISTRATION_PENDING for b in brands):
        help_text = "Your brand is waiting for the registry's answer."
    else:
        help_text = (
            "Tell the carriers who you are: legal name, EIN and address, as the IRS knows them."
        )
    return Step(
        order=20,
        title="Register your brand",
        done=done,
        help=help_text,
        url=reverse("campaigns:index") if done else reverse("campaigns:brand-new"),
    )


def campaign_step(business) -> Step:
    statuses = set(Campaign.objects.filter(business=business).values_list("status", flat=True))
    done = Campaign.Status.APPROVED in statuses
    if done:
        help_text = "A campaign is approved."
    elif statuses & {"SUBMITTED", "REVIEW", "APPEALED"}:
        help_text = "Your campaign is in review; approval can take a few days."
    elif "REJECTED" in statuses:
        help_text = "A campaign was rejected: read the reasons, fix it and appeal."
    else:
        help_text = (
            "Describe what you will text, show sample messages and how people opt in; "
            "carriers block texts from numbers that are not on a registered campaign."
        )
    return Step(
        order=30,
        title="Register a campaign and get it approved",
        done=done,
        help=help_text,
        url=reverse("campaigns:index"),
    )


def number_step(business) -> Step:
    done = selectors.phone_numbers_for_sending(business=business).exists()
    return Step(
        order=40,
        title="Get a number on the approved campaign",
        done=done,
        help=(
            "You have a number that may send."
            if done
            else "Rent a local number and put it on your approved campaign."
        ),
        url=reverse("campaigns:numbers"),
    )
