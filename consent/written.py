"""Which evidence is *written* consent, the kind marketing needs. Pure: no ORM.

Marketing texts sent by software need the person's prior express written consent (TCPA,
47 CFR 64.1200(a)(2) and (f)(9); Twilio 30831 and CTIA 5.1 ask the same of promotional
traffic). Informational texts need prior express consent, which may be oral. So:

- written: a web form submission with the disclosure shown (our form and the snapshot of
  it as served, or an integration's record: page, disclosure text, the person's IP), a keyword
  texted by the person (the inbound message), an uploaded signed record (the file and its
  SHA-256), the person's YES to a double opt-in request, and attested import rows whose
  method is written (web form, paper form, keyword, double opt-in);
- not written: a verbal script, an entry in the portal or the API that only names a source,
  a reply to an inbound text, import rows that say verbal or in person.

``consent_record_opt_in`` asks ``written_problem`` for every marketing scope that is not
sent through double opt-in (the YES is then the written part), and the import reader asks
``row_method_is_written`` for each row of a marketing import: the one rule, at entry time.
"""

from typing import Any

# consent.models.Method values (no import of the models: this module stays pure)
WEB_FORM = "WEB_FORM"
API = "API"
KEYWORD = "KEYWORD"
SIGNED_RECORD = "SIGNED_RECORD"
DOUBLE_OPT_IN_REPLY = "DOUBLE_OPT_IN_REPLY"
IMPORT_ATTESTED = "IMPORT_ATTESTED"

# import_file.ROW_METHODS that are written consent
WRITTEN_ROW_METHODS = frozenset({"WEB_FORM", "PAPER_FORM", "KEYWORD", "DOUBLE_OPT_IN"})

NOT_WRITTEN = (
    "Marketing texts need the person's prior express written consent (TCPA). "
    "{what} covers informational texts only: record it for informational messages, send "
    "them a double opt-in request (their YES is written consent), or upload the signed "
    "record."
)


def _is_sha256(value: Any) -> bool:
    text = str(value or "")
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _web_record(ev: dict[str, Any]) -> bool:
    """A web form submission: ours (the form and its snapshot as served), or an
    integration's record of its own form (page, disclosure shown, the person's IP; the time
    is when it was submitted, or when it is recorded)."""
    if ev.get("form") is not None and _is_sha256(ev.get("form_snapshot_sha256")):
        return True
    return bool(ev.get("page_url") and ev.get("disclosure_text") and ev.get("ip"))


def written_problem(method: str, ev: dict[str, Any]) -> str | None:
    """None when the cleaned evidence ``ev`` is written consent for ``method``; else why not,
    in words the portal and the API show the person entering it."""
    data = ev.get("data") or {}
    if method in (WEB_FORM, API):
        if _web_record(ev):
            return None
        return (
            "Marketing texts need the person's prior express written consent (TCPA). A web "
            "form entry needs the form's page URL, the disclosure text shown and the person's "
            "IP address; without them it covers informational texts only. Otherwise send a "
            "double opt-in request or upload the signed record."
        )
    if method == KEYWORD:
        return None if data.get("inbound_message") else NOT_WRITTEN.format(what="A keyword entry")
    if method == SIGNED_RECORD:
        if _is_sha256(data.get("signed_record_sha256")):
            return None
        return "A signed record needs its file."
    if method == DOUBLE_OPT_IN_REPLY:
        return None
    if method == IMPORT_ATTESTED:
        if row_method_is_written(str(data.get("consent_method") or "")):
            return None
        return NOT_WRITTEN.format(what="Verbal or in-person consent")
    labels = {
        "VERBAL_SCRIPT": "Verbal consent (a script read to the person)",
        "PORTAL": "An entry in the portal",
        "REPLY_TO_INBOUND": "A reply to their text",
    }
    return NOT_WRITTEN.format(what=labels.get(method, "This kind of consent"))


def row_method_is_written(row_method: str) -> bool:
    return row_method in WRITTEN_ROW_METHODS


def row_problem(row_method: str) -> str:
    """The import report's reason for a marketing row whose method is not written."""
    return (
        f"consent method {row_method} is not written consent: marketing needs written "
        "consent (web form, paper form, keyword, double opt-in)"
    )
