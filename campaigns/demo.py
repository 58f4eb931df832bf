"""Demo data for ``make run``: a registered brand, an approved automated campaign and a number.

Idempotent: running it again finds what it made. The number is recorded directly (the
simulated carrier is not running yet when ``seed_demo`` runs).
"""

from django.db import transaction
from django.utils import timezone

from .models import Brand, Campaign, CampaignStatusChange, PhoneNumber, Registrar

DEMO_NUMBER = "+12025550142"


@transaction.atomic
def seed(*, business, owner) -> None:
    name = business.display_name
    brand, _ = Brand.objects.get_or_create(
        business=business,
        display_name=name,
        defaults={
            "entity_type": "PRIVATE_PROFIT",
            "company_name": business.legal_name,
            "ein": "12-3456789",
            "email": owner.user.email,
            "phone": "+12025550100",
            "street": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
            "website": business.website,
            "vertical": "HEALTHCARE",
            "status": Brand.Status.OK,
            "identity_status": "SELF_DECLARED",
            "registrar": Registrar.MANUAL,
            "registry_brand_id": "MANUAL-DEMO",
        },
    )
    now = timezone.now()
    campaign, created = Campaign.objects.get_or_create(
        business=business,
        brand=brand,
        name="Reminders and offers",
        defaults={
            "usecase": "MIXED",
            "sub_usecases": ["ACCOUNT_NOTIFICATION", "CUSTOMER_CARE", "MARKETING"],
            "description": "Appointment reminders, answers to patient questions and monthly "
            "offers for patients of the clinic.",
            "message_flow": f"Patients opt in on the web form at {business.website}/sms by "
            "ticking an unticked box that states the frequency, Msg & data rates may apply, "
            "HELP and STOP; or by texting JOIN to our number.",
            "sample1": f"{name}: your cleaning is on Tue at 3pm. Reply C to confirm, STOP to "
            "opt out.",
            "sample2": f"{name}: thanks for your question, Dr. Lee will call you back today. "
            "Reply STOP to opt out.",
            "sample3": f"{name}: 20% off whitening this month. Reply STOP to opt out.",
            "help_message": f"{name}: for help call 202-555-0100 or email "
            f"{owner.user.email}. Reply STOP to opt out.",
            "optin_message": f"{name}: You are now subscribed to reminders and offers. Up to 4 "
            "msgs/month. Msg & data rates may apply. Reply HELP for help, STOP to opt out.",
            "optout_message": f"{name}: You are unsubscribed and will receive no more messages.",
            "automated": True,
            "mms": True,  # the demo sends pictures too (messaging/media)
            "status": Campaign.Status.APPROVED,
            "registrar": Registrar.MANUAL,
            "submission": Campaign.Submission.CREATED,
            "submitted_at": now,
            "approved_at": now,
        },
    )
    if created:
        for from_status, to_status in (("DRAFT", "SUBMITTED"), ("SUBMITTED", "APPROVED")):
            CampaignStatusChange.objects.create(
                business=business, campaign=campaign, from_status=from_status,
                to_status=to_status, reason="Demo data.", source="system",
            )  # fmt: skip
    if not PhoneNumber.objects.filter(e164=DEMO_NUMBER).exclude(status="RELEASED").exists():
        PhoneNumber.objects.create(
            business=business,
            e164=DEMO_NUMBER,
            campaign=campaign,
            provider="simulated",
            provider_id="PN-DEMO",
            capabilities=["sms", "mms"],
            assigned_at=now,
        )
