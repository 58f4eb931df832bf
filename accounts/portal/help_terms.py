"""Plain-language explanations of the compliance terms the portal uses.

Shown inline by ``{% help_term slug %}`` (accounts/portal/templatetags/portal_help.py) and listed
on the public glossary page, so a salon owner never needs outside help to read a screen.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    slug: str
    label: str
    text: str
    more: str = ""


TERMS: dict[str, Term] = {
    t.slug: t
    for t in (
        Term(
            "tcr",
            "TCR campaign (10DLC)",
            'US carriers only deliver business texts from ordinary 10-digit numbers ("10DLC") '
            "when the sender has registered a brand (who you are) and a campaign (what you "
            "will text, to whom, and how they agreed) with The Campaign Registry (TCR).",
            "Unregistered traffic is filtered or blocked by the carriers.",
        ),
        Term(
            "brand",
            "Brand",
            "Your business as the carriers know it: legal name, tax number, address and "
            "website. Registered once; every campaign belongs to a brand.",
        ),
        Term(
            "use_case",
            "Use case",
            "The kind of texts a campaign sends (for example account notifications, "
            "appointment reminders or marketing). Messages must fit the registered use case.",
        ),
        Term(
            "opt_out_language",
            "Opt-out language",
            'Words that tell the recipient how to stop the texts, such as "Reply STOP to '
            'opt out". Carriers require it in the first message and in marketing, because '
            "people must always be able to stop texts easily.",
            "We add it or warn you when a message that needs it lacks it.",
        ),
        Term(
            "stop",
            "STOP",
            "When a client replies STOP (or UNSUBSCRIBE, CANCEL, END, QUIT) they are opted out "
            "at once and get one confirmation. We never text them again unless they reply "
            "START.",
        ),
        Term(
            "double_opt_in",
            "Double opt-in",
            'After a client signs up on your form, we text them "Reply YES to confirm". Only '
            "their YES turns on marketing texts, which proves the phone's owner agreed and not "
            "someone who typed their number.",
        ),
        Term(
            "express_consent",
            "Express written consent",
            "A clear, recorded agreement from the client to receive marketing texts, with the "
            "exact words they saw. Required by US law (TCPA) before any marketing text.",
        ),
        Term(
            "quiet_hours",
            "Quiet hours",
            "Marketing texts are held overnight (by default 9 pm to 8 am in the recipient's own "
            "time zone) and go out automatically in the morning. Replies and transactional "
            "texts are not held.",
        ),
        Term(
            "rate_cap",
            "50 messages per minute per number",
            "Each of your numbers sends at most 50 texts in any 60 seconds; faster bursts are "
            "throttled or filtered by carriers. Larger sends queue and go out at that pace — "
            "the estimate tells you how long it takes.",
        ),
        Term(
            "segments",
            "Segments",
            "Carriers bill and deliver texts in segments: 160 plain characters, or 70 when the "
            "text has emoji or special characters. Longer texts are split into several.",
        ),
        Term(
            "vetting",
            "Vetting",
            "Our compliance team checks each new business (industry, website) before it can "
            "send, because some industries cannot text at all under carrier rules.",
        ),
        Term(
            "held",
            "Held for review",
            "A message our content check was unsure about. Compliance staff read it and send "
            "or block it; you see the outcome in the message log.",
        ),
        Term(
            "opt_out_rate",
            "Opt-out rate",
            "Opt-outs per 100 delivered texts. Carriers watch it: above about 2 % suggests the "
            "texts are unwanted, so send less often or to fewer people.",
        ),
    )
}


def get(slug: str) -> Term | None:
    return TERMS.get(slug)
