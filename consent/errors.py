"""Errors of the consent app (the one ApplicationError family)."""

from accounts.errors import ApplicationError, Conflict, ValidationFailed


class PhoneSuppressed(Conflict):
    code = "suppressed"
    default_message = "This number opted out earlier; it cannot be re-subscribed this way."


class EvidenceMissing(ValidationFailed):
    code = "evidence_missing"
    default_message = "Consent needs evidence: the disclosure shown, a source or a page URL."


class ContactErased(Conflict):
    code = "contact_erased"
    default_message = "This contact was erased."


class FormRefused(ApplicationError):
    code = "form_refused"
    status_code = 403
    default_message = "This form cannot be submitted from here."


class WrittenConsentRequired(ValidationFailed):
    code = "written_consent_required"
    default_message = (
        "Marketing texts need the person's prior express written consent (TCPA); this "
        "evidence covers informational texts only."
    )
