"""TCR's field rules and the carriers' content rules, as pure functions over plain values.

Each check returns ``{field: [message, ...]}``; a message names the field and the rule, in
words a business owner can act on. No ORM here: services call these and raise.
"""

import re
from collections.abc import Mapping
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from stdnum.us import ein as us_ein

from . import tcr

Errors = dict[str, list[str]]

# fmt: off
US_STATES = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
}
# fmt: on

SAMPLE_FIELDS = ["sample1", "sample2", "sample3", "sample4", "sample5"]
LENGTHS = {
    "description": (40, 4096),
    "message_flow": (40, 2048),
    "help_message": (20, 320),
    "optin_message": (20, 320),
    "optout_message": (20, 320),
    **dict.fromkeys(SAMPLE_FIELDS, (20, 1024)),
}
LABELS = {
    "description": "Description",
    "message_flow": "Message flow (how people opt in)",
    "help_message": "HELP reply",
    "optin_message": "Opt-in confirmation",
    "optout_message": "Opt-out confirmation",
    **{f: f"Sample message {f[-1]}" for f in SAMPLE_FIELDS},
}

# Fields the registry lets a CSP change after the campaign is created (Telnyx's campaign
# update takes exactly these); every other registration field is frozen at submission.
MUTABLE_AFTER_SUBMISSION = frozenset(
    {"name", "sample1", "sample2", "sample3", "sample4", "sample5", "help_message",
     "message_flow", "auto_renewal"}
) | tcr.JOIN_FIELDS  # ours, not the registry's: changed at any time  # fmt: skip

_KEYWORD = re.compile(r"^[A-Za-z0-9]+$")
_URL_IN_TEXT = re.compile(
    r"(https?://\S+|\bwww\.\S+|\b[a-z0-9-]+\.(com|net|org|io|co|us|ly)\b)", re.I
)
_PHONE_IN_TEXT = re.compile(r"(\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}")
OPT_OUT_LANGUAGE = re.compile(
    r"\b(reply|text|txt|send)\s+\"?(stop|end|quit|cancel|unsubscribe)\b|\bopt[\s-]?out\b"
    r"|\bunsubscribe\b|\bstop to (end|stop|cancel|opt|quit|unsubscribe)",
    re.I,
)
STOP_WORD = re.compile(r"\bSTOP\b", re.I)
HELP_WORD = re.compile(r"\bHELP\b", re.I)
RATES = re.compile(r"\bmsg\s*(&|and)\s*data\s+rates\s+may\s+apply\b", re.I)
ENROLMENT = re.compile(
    r"\b(subscribed|enrolled|enroled|signed up|opted in|are now (receiving|registered)|"
    r"welcome to|you('ll| will) (now )?(receive|get))\b",
    re.I,
)
FREQUENCY = re.compile(
    r"(\b\d+\s*(msgs?|messages?|texts?|alerts?)\s*(/|per|a|each|every)\s*"
    r"(day|week|wk|month|mo|year)\b)|\b(msg|message)\s+(freq(uency)?\.?)\s+varies\b|"
    r"\brecurring\b|\b(daily|weekly|monthly)\b",
    re.I,
)
NO_MORE = re.compile(
    r"\bno (more|further|additional|other) (messages?|msgs?|texts?|alerts?)\b|"
    r"\b(will not|won't|will no longer) (receive|get|be sent)\b|\bno longer receive\b",
    re.I,
)
CONTACT = re.compile(r"(@|https?://|www\.|\d{3}\D{0,2}\d{3}\D?\d{4})")


def _add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _valid_url(value: str) -> bool:
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return False
    return True


def _valid_email(value: str) -> bool:
    try:
        EmailValidator()(value)
    except ValidationError:
        return False
    return True


def normalize_e164(value: str, region: str = "US") -> str | None:
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_e164(value: str) -> bool:
    return bool(re.fullmatch(r"\+[1-9]\d{7,14}", value or "")) and normalize_e164(value) == value


# --- what a business typed ----------------------------------------------------------------


def _clean_keywords(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return value.strip().upper() if isinstance(value, str) else value


def normalize(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What a business typed, as stored: keywords, codes and phones in their one form."""
    out = dict(fields)
    for key in ("help_keywords", "optin_keywords", "optout_keywords", "join_keywords"):
        if key in out:
            out[key] = _clean_keywords(out[key])
    for key in ("state", "country", "stock_symbol"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip().upper()
    if isinstance(out.get("ein"), str) and out["ein"].strip():
        out["ein"] = us_ein.format(us_ein.compact(out["ein"]))  # never raises: only strips
    for key in ("phone", "mobile_phone"):
        if isinstance(out.get(key), str) and out[key].strip():
            out[key] = normalize_e164(out[key].strip()) or out[key].strip()
    for key, value in list(out.items()):
        if isinstance(value, str) and key not in ("help_keywords",):
            out[key] = value.strip()
    return out


def unknown_field_errors(fields: Mapping[str, Any], allowed: list[str]) -> Errors:
    return {f: ["Unknown field."] for f in sorted(set(fields) - set(allowed))}


# --- brand --------------------------------------------------------------------------------


def brand_errors(data: Mapping[str, Any]) -> Errors:
    """Every TCR brand rule, for a complete brand as it will be registered."""
    errors: Errors = {}
    entity = data.get("entity_type") or ""
    if entity not in dict(tcr.ENTITY_TYPES):
        _add(errors, "entity_type", "Choose the kind of organisation (entityType).")
    if _blank(data.get("display_name")):
        _add(errors, "display_name", "The brand name people know you by is required.")
    if data.get("vertical") not in dict(tcr.VERTICALS):
        _add(errors, "vertical", "Choose one of TCR's 23 industry verticals.")
    country = (data.get("country") or "").upper()
    if country != "US":
        _add(errors, "country", "Only US brands (country US) can be registered here.")
    if entity == "SOLE_PROPRIETOR":
        for field, label in (("first_name", "First name"), ("last_name", "Last name")):
            if _blank(data.get(field)):
                _add(errors, field, f"{label} is required for a sole proprietor.")
        if _blank(data.get("mobile_phone")):
            _add(
                errors,
                "mobile_phone",
                "A mobile number is required for a sole proprietor (TCR sends a code to it).",
            )
        if not _blank(data.get("ein")):
            _add(errors, "ein", "A sole proprietor registers without an EIN; leave it empty.")
    elif entity:
        if _blank(data.get("company_name")):
            _add(
                errors, "company_name", "The legal company name (as on the IRS letter) is required."
            )
        ein = data.get("ein") or ""
        if _blank(ein):
            _add(errors, "ein", "The EIN (9-digit US tax ID) is required.")
        elif not us_ein.is_valid(ein):
            _add(
                errors, "ein", "The EIN must be 9 digits with a valid IRS prefix, e.g. 12-3456789."
            )
    if entity == "PUBLIC_PROFIT":
        if _blank(data.get("stock_symbol")):
            _add(errors, "stock_symbol", "A public company must give its stock symbol.")
        if data.get("stock_exchange") in (None, "", "NONE"):
            _add(errors, "stock_exchange", "A public company must give its stock exchange.")
        if _blank(data.get("business_contact_email")):
            _add(
                errors,
                "business_contact_email",
                "A public company must give a business contact email (TCR verifies it).",
            )
    elif data.get("stock_exchange") not in (None, "", "NONE") and entity:
        _add(errors, "stock_exchange", "Only public companies list a stock exchange.")
    email = data.get("email") or ""
    if not _valid_email(email):
        _add(errors, "email", "A valid support email address is required.")
    bce = data.get("business_contact_email") or ""
    if bce and not _valid_email(bce):
        _add(errors, "business_contact_email", "Enter a valid email address.")
    for field, required in (("phone", True), ("mobile_phone", False)):
        value = data.get(field) or ""
        if not value and not required:
            continue
        if not is_e164(value):
            _add(errors, field, "Enter the number in E.164 form, e.g. +12025550123.")
    for field, label in (("street", "Street"), ("city", "City")):
        if _blank(data.get(field)):
            _add(errors, field, f"{label} is required.")
    if (data.get("state") or "").upper() not in US_STATES:
        _add(errors, "state", "Use the 2-letter US state code, e.g. NY.")
    if not re.fullmatch(r"\d{5}", data.get("postal_code") or ""):
        _add(errors, "postal_code", "Use the 5-digit US ZIP code.")
    website = data.get("website") or ""
    if website and not _valid_url(website):
        _add(errors, "website", "Enter the full address of your website, e.g. https://example.com.")
    if entity and entity != "SOLE_PROPRIETOR" and not website:
        _add(errors, "website", "A website is required: carriers check it matches the brand.")
    alt_type = data.get("alt_business_id_type") or ""
    if data.get("alt_business_id") and alt_type in ("", "NONE"):
        _add(errors, "alt_business_id_type", "Say which kind of ID this is (DUNS, GIIN or LEI).")
    return errors


# --- campaign: shape ----------------------------------------------------------------------


def campaign_field_errors(data: Mapping[str, Any]) -> Errors:
    """TCR's structural rules: use case codes, lengths, keywords, links. Checked on every save
    of a complete campaign and again on submit."""
    errors: Errors = {}
    usecase = data.get("usecase") or ""
    subs = list(data.get("sub_usecases") or [])
    if usecase not in tcr.USECASE_CODES:
        _add(errors, "usecase", "Choose a use case from TCR's list.")
    if usecase == "MIXED" and not 2 <= len(subs) <= 5:
        _add(errors, "sub_usecases", "A MIXED campaign needs 2 to 5 sub use cases.")
    if usecase == "LOW_VOLUME" and not 1 <= len(subs) <= 5:
        _add(errors, "sub_usecases", "A LOW_VOLUME campaign needs 1 to 5 sub use cases.")
    if usecase in tcr.COMBINED_USECASES:
        bad = [s for s in subs if s not in tcr.SUB_USECASES]
        if bad:
            _add(
                errors,
                "sub_usecases",
                f"Not a standard use case: {', '.join(map(str, bad))}. Sub use cases must be "
                "standard use cases (e.g. MARKETING, ACCOUNT_NOTIFICATION).",
            )
        if len(set(subs)) != len(subs):
            _add(errors, "sub_usecases", "Each sub use case can be listed once.")
    elif subs and usecase:
        _add(
            errors, "sub_usecases", f"Only MIXED and LOW_VOLUME take sub use cases, not {usecase}."
        )

    for field, (low, high) in LENGTHS.items():
        value = (data.get(field) or "").strip()
        required = field in ("description", "message_flow", "sample1", "sample2")
        if field == "help_message" and data.get("subscriber_help", True):
            required = True
        if field == "optin_message" and data.get("subscriber_optin", True):
            required = True
        if field == "optout_message" and data.get("subscriber_optout", True):
            required = True
        if not value:
            if required:
                _add(errors, field, f"{LABELS[field]} is required ({low}–{high} characters).")
            continue
        if not low <= len(value) <= high:
            _add(
                errors,
                field,
                f"{LABELS[field]} must be {low}–{high} characters (now {len(value)}).",
            )
    present = [bool((data.get(f) or "").strip()) for f in SAMPLE_FIELDS]
    for index in range(1, 5):
        if present[index] and not present[index - 1]:
            _add(
                errors,
                SAMPLE_FIELDS[index],
                f"Fill in sample message {index} before sample message {index + 1}.",
            )
    if usecase in tcr.COMBINED_USECASES and len(subs) > sum(present):
        _add(
            errors,
            "sample1",
            f"Give at least one sample per sub use case ({len(subs)} sub use cases, "
            f"{sum(present)} samples).",
        )
    for field, must in (
        ("help_keywords", "HELP"),
        ("optin_keywords", ""),
        ("optout_keywords", "STOP"),
        ("join_keywords", ""),
    ):
        value = data.get(field) or ""
        words = value.split(",") if value else []
        if len(value) > 255:
            _add(errors, field, "Keywords may be at most 255 characters in all.")
        if any(not _KEYWORD.match(w) for w in words):
            _add(
                errors,
                field,
                "Keywords are comma-separated letters and digits, with no spaces "
                "(e.g. STOP,END,QUIT).",
            )
        if must and must not in [w.upper() for w in words]:
            _add(errors, field, f"The keywords must include {must}.")
    if not data.get("subscriber_optin", True):
        _add(errors, "subscriber_optin", "Every use case requires people to opt in first.")
    if not data.get("subscriber_help", True):
        _add(errors, "subscriber_help", "Every use case must answer HELP.")
    if not data.get("subscriber_optout", True) and usecase != "2FA":
        _add(errors, "subscriber_optout", "Every use case except 2FA must honour opt-out keywords.")
    for field in ("terms_and_conditions_link", "privacy_policy_link", "embedded_link_sample"):
        value = data.get(field) or ""
        if value and not _valid_url(value):
            _add(errors, field, "Enter a full web address starting with https://.")
    samples = [data.get(f) or "" for f in SAMPLE_FIELDS]
    has_link = any(_URL_IN_TEXT.search(s) for s in samples)
    if has_link and not data.get("embedded_link"):
        _add(
            errors,
            "embedded_link",
            "Your samples contain a link: declare embedded links (embeddedLink).",
        )
    if data.get("embedded_link") and not has_link:
        _add(errors, "embedded_link", "You declared embedded links: show one in a sample message.")
    has_phone = any(_PHONE_IN_TEXT.search(s) for s in samples)
    if has_phone and not data.get("embedded_phone"):
        _add(
            errors,
            "embedded_phone",
            "Your samples contain a phone number: declare embedded phone numbers (embeddedPhone).",
        )
    return errors


# --- campaign: content rules and eligibility (on submit) ----------------------------------


def campaign_content_errors(data: Mapping[str, Any], *, brand_name: str) -> Errors:
    """CTIA's content rules for the registration texts (compliance-domain §3.2)."""
    errors: Errors = {}
    name = (brand_name or "").strip().lower()
    marketing = tcr.is_marketing(data.get("usecase") or "", data.get("sub_usecases") or [])
    for field in SAMPLE_FIELDS:
        sample = (data.get(field) or "").strip()
        if not sample:
            continue
        if name and name not in sample.lower():
            _add(
                errors,
                field,
                f'{LABELS[field]} must name your brand "{brand_name}" so people know who '
                "is texting.",
            )
        if marketing and not OPT_OUT_LANGUAGE.search(sample):
            _add(
                errors,
                field,
                f"{LABELS[field]}: marketing messages must say how to opt out "
                '(e.g. "Reply STOP to opt out").',
            )
    optin = (data.get("optin_message") or "").strip()
    if optin:
        missing = []
        if name and name not in optin.lower():
            missing.append(f'your brand name "{brand_name}"')
        if not ENROLMENT.search(optin):
            missing.append('that they are now subscribed (e.g. "You are now subscribed to…")')
        if not FREQUENCY.search(optin):
            missing.append('how often you text (e.g. "Up to 4 msgs/month")')
        if not RATES.search(optin):
            missing.append('"Msg & data rates may apply"')
        if not HELP_WORD.search(optin):
            missing.append('how to get help ("Reply HELP")')
        if not STOP_WORD.search(optin) or not OPT_OUT_LANGUAGE.search(optin):
            missing.append('how to opt out ("Reply STOP to opt out")')
        for item in missing:
            _add(errors, "optin_message", f"The opt-in confirmation must include {item}.")
    optout = (data.get("optout_message") or "").strip()
    if optout and not NO_MORE.search(optout):
        _add(
            errors,
            "optout_message",
            "The opt-out confirmation must confirm that no more messages will be sent "
            '(e.g. "You will receive no more messages").',
        )
    if optout and name and name not in optout.lower():
        _add(
            errors,
            "optout_message",
            f'The opt-out confirmation must name your brand "{brand_name}".',
        )
    help_message = (data.get("help_message") or "").strip()
    if help_message:
        if name and name not in help_message.lower():
            _add(errors, "help_message", f'The HELP reply must name your brand "{brand_name}".')
        if not CONTACT.search(help_message):
            _add(
                errors,
                "help_message",
                "The HELP reply must give a way to reach you (phone, email or web address).",
            )
    return errors


def campaign_eligibility_errors(
    data: Mapping[str, Any], *, entity_type: str, vertical: str
) -> Errors:
    """TCR-level eligibility and the flags our SMS policy refuses outright."""
    errors: Errors = {}
    usecase = data.get("usecase") or ""
    if usecase in tcr.NOT_OFFERED_USECASES:
        _add(errors, "usecase", tcr.NOT_OFFERED_USECASES[usecase])
    if entity_type == "SOLE_PROPRIETOR" and usecase != "SOLE_PROPRIETOR":
        _add(errors, "usecase", "A sole proprietor brand registers the SOLE_PROPRIETOR use case.")
    if usecase == "SOLE_PROPRIETOR" and entity_type != "SOLE_PROPRIETOR":
        _add(errors, "usecase", "The SOLE_PROPRIETOR use case is only for sole proprietor brands.")
    if usecase == "CHARITY" and entity_type != "NON_PROFIT":
        _add(errors, "usecase", "The CHARITY use case is only for non-profit (501(c)(3)) brands.")
    if vertical in tcr.PROHIBITED_VERTICALS:
        _add(errors, "brand", tcr.PROHIBITED_VERTICALS[vertical])
    if data.get("direct_lending"):
        _add(
            errors,
            "direct_lending",
            "Direct lending and loan arrangement are prohibited by our SMS policy.",
        )
    if data.get("age_gated"):
        _add(
            errors,
            "age_gated",
            "Age-gated content (alcohol, tobacco, vaping, firearms, cannabis) is prohibited by "
            "our SMS policy.",
        )
    if data.get("affiliate_marketing"):
        _add(
            errors,
            "affiliate_marketing",
            "Affiliate marketing and lead generation are prohibited by our SMS policy.",
        )
    return errors
