"""The opt-in disclosure (CTIA call-to-action elements) built from a form's settings. Pure."""

from dataclasses import dataclass

REQUIRED = {
    "brand": "the brand or program name",
    "what": "what messages are sent",
    "frequency": "how often",
    "rates": '"Msg & data rates may apply"',
    "stop": "how to stop (STOP)",
    "help": "how to get help (HELP)",
    "terms": "a link to the terms",
    "privacy": "a link to the privacy policy",
    "no_purchase": "consent is not a condition of purchase",
}


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
    text = (
        f"By checking this box, I agree to receive recurring automated text messages from "
        f"{program} ({brand}) about {message_description.strip().rstrip('.')} at the phone "
        f"number provided. {frequency.strip().rstrip('.')}. Msg & data rates may apply. "
        f"Reply STOP to cancel, HELP for help. Consent is not a condition of purchase. "
        f"Terms: {terms_url} Privacy: {privacy_url}"
    )
    if extra.strip():
        text += f" {extra.strip()}"
    return Disclosure(text=text, program=program, terms_url=terms_url, privacy_url=privacy_url)


def missing_elements(text: str) -> list[str]:
    """Which required elements a disclosure text lacks (for texts written by hand)."""
    lower = text.lower()
    checks = {
        "rates": "msg & data rates may apply" in lower or "message and data rates" in lower,
        "stop": "stop" in lower,
        "help": "help" in lower,
        "terms": "terms" in lower and "http" in lower,
        "privacy": "privacy" in lower,
        "no_purchase": "not a condition of purchase" in lower,
    }
    return [REQUIRED[k] for k, ok in checks.items() if not ok]


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
