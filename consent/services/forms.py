"""Opt-in forms: create and edit them, a person's submission, the snapshot of the form as
rendered (evidence), the text that asks for the double opt-in."""

import hashlib

from django.db import transaction
from django.utils import timezone

from accounts.errors import NotFound, ValidationFailed
from accounts.hygiene import BIDI_MESSAGE, has_bidi_controls
from accounts.models import Business
from accounts.services import audit_record

from .. import disclosure, phones
from ..inputs import check_campaign, clean_form_fields, email_fits
from ..models import ConsentEvent, Contact, FormSnapshot, Method, OptInForm
from .contacts import contact_insert_locking_chain
from .ledger import consent_record_opt_in, consent_record_opt_ins_new_contact


def optin_form_create(*, business: Business, actor=None, campaigns=(), **fields):
    clean = clean_form_fields(fields)
    missing = [
        k
        for k in ("name", "program_name", "message_description", "terms_url", "privacy_url")
        if not clean.get(k)
    ]
    if missing:
        raise ValidationFailed(fields={k: ["This field is required."] for k in missing})
    for campaign in campaigns:
        check_campaign(business, campaign)
    form = OptInForm.objects.create(business=business, **clean)
    form.campaigns.set(campaigns)
    audit_record(action="consent.form_create", obj=form, actor=actor, business=business)
    return form


def optin_form_update(*, business: Business, form, actor=None, campaigns=None, **fields):
    """Edit a form; its version rises so evidence names exactly what was shown."""
    if form.business_id != business.pk:
        raise NotFound("Form not found.")
    clean = clean_form_fields(fields)
    for campaign in campaigns or ():
        check_campaign(business, campaign)  # before anything is written
    for key, value in clean.items():
        setattr(form, key, value)
    form.version += 1
    form.updated_at = timezone.now()
    form.save()
    if campaigns is not None:
        form.campaigns.set(campaigns)
    audit_record(
        action="consent.form_update",
        obj=form,
        actor=actor,
        business=business,
        detail={"fields": sorted(clean), "version": form.version},
    )
    return form


def optin_form_submit(
    *,
    form,
    phone: str,
    name: str = "",
    email: str = "",
    consent: bool,
    age_confirmed: bool,
    ip: str | None,
    user_agent: str,
    page_url: str,
    snapshot_sha256: str,
) -> tuple[Contact, list[ConsentEvent]]:
    """A person submitted the public form: contact, then one opt-in per target scope.

    Double opt-in (the form's default) records pending events; the caller has "Reply YES"
    texted (the public form: by a worker, once they are committed).
    """
    errors: dict[str, list[str]] = {}
    if not consent:
        errors["consent"] = ["Tick the box to agree to receive texts."]
    if not age_confirmed:
        errors["age_confirmed"] = ["You must be 13 or older to sign up."]
    try:
        e164 = phones.normalize(phone)
    except phones.InvalidPhone as exc:
        errors["phone"] = [f"Enter a valid mobile number. {exc}"]
    if email and not email_fits(email.strip()):
        errors["email"] = ["Enter a valid email address."]
    if has_bidi_controls(name):
        errors["name"] = [BIDI_MESSAGE]
    if errors:
        raise ValidationFailed("Please correct the marked fields.", fields=errors)
    business = form.business
    text = disclosure.for_form(form).text
    campaigns = list(form.campaigns.all())
    scopes = [(c, None) for c in campaigns] or [(None, form.scope_kind)]
    # the number's suppression hash: the contact row's, the guesses' and the guards' (once)
    hashed = phones.phone_hash(business=business, e164=e164)
    with transaction.atomic():
        # the contact's INSERT and the chain head's lock with the number's suppression
        # guessed per scope: one statement (a new number needs no other read under the lock)
        contact, created, head, guesses = contact_insert_locking_chain(
            business=business,
            phone=e164,
            hashed=hashed,
            campaign_ids=[getattr(c, "pk", None) for c, _ in scopes],
            name=name.strip()[:200],
            email=email.strip(),
            source="form",
        )
        changed: list[str] = []
        if name.strip() and not contact.name:
            contact.name, changed = name.strip()[:200], [*changed, "name"]
        if email.strip() and not contact.email:
            contact.email, changed = email.strip(), [*changed, "email"]
        if changed:
            contact.save(update_fields=changed)
        evidence = {
            "disclosure_text": text,
            "policy_version": form.policy_version,
            "form": form,
            "form_snapshot_sha256": snapshot_sha256,
            "page_url": page_url,
            "ip": ip,
            "user_agent": user_agent,
            "recorded_by_label": f"opt-in form {form.uuid}",
            "data": {
                "phone": e164,
                "name": name.strip()[:200],
                "email": email.strip(),
                "consent_checkbox": True,
                "age_13_or_older": True,
            },
        }
        if created:  # a new number (the usual submission): no state to read, one lock
            events = consent_record_opt_ins_new_contact(
                business=business,
                contact=contact,
                method=Method.WEB_FORM,
                scopes=scopes,
                evidence=evidence,
                double_opt_in=form.double_opt_in,
                locked=(head, hashed, guesses),
            )
        else:
            events = [
                consent_record_opt_in(
                    business=business,
                    contact=contact,
                    method=Method.WEB_FORM,
                    campaign=campaign,
                    kind=kind,
                    evidence=evidence,
                    double_opt_in=form.double_opt_in,
                )
                for campaign, kind in scopes
            ]
    return contact, events


def double_opt_in_text(*, form) -> str:
    program = disclosure.for_form(form).program
    return (
        f"{program}: Reply YES to confirm you want texts about {form.message_description}. "
        f"{form.frequency}. Msg & data rates may apply. Reply STOP to cancel, HELP for help."
    )


def form_snapshot_store(*, business: Business, html: str) -> str:
    digest = hashlib.sha256(html.encode()).hexdigest()
    FormSnapshot.objects.get_or_create(business=business, sha256=digest, defaults={"html": html})
    return digest
