"""Billing's errors, in the one ``ApplicationError`` family (accounts.errors).

``PaymentRequired`` (402) is what a send meets while the business is paused for
non-payment, or when the month's spending cap would be exceeded; its ``code`` says which
(``billing_paused`` or ``spending_cap_reached``) and its message says what to do.
"""

from accounts.errors import ApplicationError, Conflict, NotFound, ValidationFailed

__all__ = [
    "BadSignature",
    "Conflict",
    "NotFound",
    "PaymentRequired",
    "ProcessorError",
    "ValidationFailed",
]


class PaymentRequired(ApplicationError):
    code = "payment_required"
    status_code = 402
    default_message = "Sending is paused until the account's invoices are paid."


class ProcessorError(ApplicationError):
    """The payment processor could not be reached or refused a request we make."""

    code = "processor_error"
    status_code = 502
    default_message = "The payment processor could not be reached. Please try again."


class BadSignature(ApplicationError):
    """A processor webhook whose Stripe-Signature does not verify (403, as our other
    provider webhooks answer an unsigned request)."""

    code = "bad_signature"
    status_code = 403
    default_message = "The webhook signature is not valid."
