from accounts.billing import services
from accounts.roles import Cap
from tests.sweep import Rule


def _invoice(business):
    return {"invoice_uuid": issued_invoice(business).uuid}


def issued_invoice(business):
    """An issued invoice of ``business`` for last month (no processor needed: no card)."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.billing import money

    period = money.previous_period(money.period_of(timezone.now()))
    services.account_get_or_create(business=business)
    return services.invoice_close(
        business=business, period=period, now=timezone.now() + timedelta(seconds=1)
    )


RULES = {
    "billing:overview": Rule("portal", cap=Cap.MANAGE_BILLING),
    "billing:invoice": Rule("portal", cap=Cap.MANAGE_BILLING, kwargs=_invoice),
    "billing:invoice-pdf": Rule("portal", cap=Cap.MANAGE_BILLING, kwargs=_invoice),
    "billing:processor-webhook": Rule(
        "public",
        method="post",
        reason="the payment processor's webhook; authenticated by its Stripe-Signature",
        allowed_extra=(403,),
    ),
}
