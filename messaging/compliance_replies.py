"""The texts of compliance replies (HELP, opt-out and sign-up confirmations, the join
double opt-in request) in English and Spanish. Pure: no Django.

What each must hold (CTIA Messaging Principles 5.1; compliance reference §3.2):
- HELP: the program or brand name and how to reach the business (phone, email or website),
  and how to stop; answered whether or not the person is subscribed;
- opt-out confirmation: one text, the brand, no more messages will follow, no marketing
  (47 CFR 64.1200(a)(12));
- sign-up confirmation (CTIA 5.1.2.1): the program name, that they are subscribed to
  recurring texts, the frequency, "Msg&data rates may apply", HELP and STOP, and the terms
  link when the campaign has one;
- double opt-in request: the same, asking for YES (and the age the campaign requires).
"""

from dataclasses import dataclass

ENGLISH = "en"
SPANISH = "es"


@dataclass(frozen=True)
class Program:
    """Who is texting, as the replies name it."""

    name: str
    phone: str = ""
    email: str = ""
    website: str = ""
    frequency: str = "Msg frequency varies"
    terms_url: str = ""
    min_age: int = 0  # 0: no age asked


def language_of(*candidates: str) -> str:
    """The first supported language among ``candidates`` (the keyword's, then the
    contact's), else English."""
    for language in candidates:
        if language in (ENGLISH, SPANISH):
            return language
    return ENGLISH


def _reach(p: Program, words: tuple[str, str, str, str]) -> str:
    call, write, visit, joiner = words
    parts = []
    if p.phone:
        parts.append(f"{call} {p.phone}")
    if p.email:
        parts.append(f"{write} {p.email}")
    if p.website:
        parts.append(f"{visit} {p.website}")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + f" {joiner} " + parts[-1]
    return parts[0] if parts else ""


def help_text(p: Program, language: str) -> str:
    if language == SPANISH:
        reach = _reach(p, ("llame al", "escriba a", "visite", "o"))
        how = f" Para ayuda, {reach}." if reach else ""
        return (
            f"{p.name}:{how} Pueden aplicarse tarifas de mensajes y datos. "
            "Responda PARAR para no recibir más mensajes."
        )
    reach = _reach(p, ("call", "email", "visit", "or"))
    how = f" For help, {reach}." if reach else ""
    return f"{p.name}:{how} Msg&data rates may apply. Reply STOP to opt out."


def opt_out_text(p: Program, language: str) -> str:
    if language == SPANISH:
        return f"{p.name}: Se ha dado de baja y no recibirá más mensajes."
    return f"{p.name}: You are unsubscribed and will receive no more messages."


def _terms(p: Program, language: str) -> str:
    if not p.terms_url:
        return ""
    return f" {'Términos' if language == SPANISH else 'Terms'}: {p.terms_url}"


def join_confirmation_text(p: Program, language: str) -> str:
    if language == SPANISH:
        return (
            f"{p.name}: Se ha suscrito a nuestros mensajes recurrentes. {p.frequency}. "
            "Pueden aplicarse tarifas de mensajes y datos. Responda AYUDA para ayuda, "
            f"PARAR para cancelar.{_terms(p, language)}"
        )
    return (
        f"{p.name}: You are subscribed to our recurring texts. {p.frequency}. "
        f"Msg&data rates may apply. Reply HELP for help, STOP to cancel.{_terms(p, language)}"
    )


def join_request_text(p: Program, language: str) -> str:
    """The double opt-in request after a join keyword."""
    if language == SPANISH:
        age = f" y que tiene {p.min_age} años o más" if p.min_age else ""
        return (
            f"{p.name}: Responda SI para confirmar que desea mensajes recurrentes{age}. "
            f"{p.frequency}. Pueden aplicarse tarifas de mensajes y datos. Responda AYUDA "
            f"para ayuda, PARAR para cancelar.{_terms(p, language)}"
        )
    age = f" and that you are {p.min_age} or older" if p.min_age else ""
    return (
        f"{p.name}: Reply YES to confirm you want recurring texts{age}. {p.frequency}. "
        f"Msg&data rates may apply. Reply HELP for help, STOP to cancel.{_terms(p, language)}"
    )
