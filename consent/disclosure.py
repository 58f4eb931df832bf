"""The opt-in disclosure (CTIA call-to-action elements) built from a form's settings. Pure."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Disclosure:
    text: str
    program: str
    terms_url: str
    privacy_url: str


def build(
    *,
    brand: str,
    program_name: str,
    message_description: str,
    frequency: str,
    terms_url: str,
    privacy_url: str,
    extra: str = "",
) -> Disclosure:
    program = program_name.strip() or brand
    # the brand in brackets only when the program has a name of its own ("Luxe Hair (Luxe
    # Hair)" read as a mistake on the business's own website)
    sender = program if program.casefold() == brand.strip().casefold() else f"{program} ({brand})"
    text = (
        f"By checking this box, I agree to receive recurring automated text messages from "
        f"{sender} about {message_description.strip().rstrip('.')} at the phone "
        f"number provided. {frequency.strip().rstrip('.')}. Msg & data rates may apply. "
        f"Reply STOP to cancel, HELP for help. Consent is not a condition of purchase. "
        f"Terms: {terms_url} Privacy: {privacy_url}"
    )
    if extra.strip():
        text += f" {extra.strip()}"
    return Disclosure(text=text, program=program, terms_url=terms_url, privacy_url=privacy_url)


def for_form(form) -> Disclosure:
    return build(
        brand=form.business.display_name,
        program_name=form.program_name,
        message_description=form.message_description,
        frequency=form.frequency,
        terms_url=form.terms_url,
        privacy_url=form.privacy_url,
        extra=form.disclosure_extra,
    )
