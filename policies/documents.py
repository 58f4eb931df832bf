"""Policy documents: publishing versions, the version in effect, members' acceptances.

Writes (``document_publish``, ``acceptance_record``...) and reads (``document_current``,
``documents_pending_for``...) of the versioned privacy policy, SMS/MMS content policy and
terms of service. The consent app records ``current_version(kind)`` on each consent event.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record

from .documents_models import PolicyAcceptance, PolicyDocument

KINDS = [k.value for k in PolicyDocument.Kind]
# A version published with an effective date this far in the past counts as "now"
# (the time staff took to fill the form); further back is refused.
PUBLISH_GRACE = timedelta(minutes=10)


# --- reads ---------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound("No such policy.")


def published(*, kind: str | None = None) -> QuerySet[PolicyDocument]:
    qs = PolicyDocument.objects.filter(published_at__isnull=False)
    return qs.filter(kind=kind) if kind else qs


def document_current(*, kind: str, now=None) -> PolicyDocument | None:
    """The version in effect: the newest published one whose effective date has come."""
    _check_kind(kind)
    now = now or timezone.now()
    return (
        published(kind=kind).filter(effective_at__lte=now).order_by("-effective_at", "-id").first()
    )


def current_version(kind: str) -> str:
    """The label of the version in effect, e.g. ``"privacy:1.0"`` ("" if none is published).

    For ledgers that record which policy a person was shown (the consent events).
    """
    doc = document_current(kind=kind)
    return f"{doc.kind}:{doc.version}" if doc else ""


def current_versions(*kinds: str) -> list[str]:
    """``current_version`` of several kinds in one query (each consent event records the
    privacy policy and the terms: one round trip, not two), in the order asked."""
    for kind in kinds:
        _check_kind(kind)
    docs = (
        published()
        .filter(kind__in=kinds, effective_at__lte=timezone.now())
        .order_by("kind", "-effective_at", "-id")
        .distinct("kind")
        .only("kind", "version")
    )
    found = {d.kind: f"{d.kind}:{d.version}" for d in docs}
    return [found.get(kind, "") for kind in kinds]


def document_scheduled(*, kind: str, now=None) -> PolicyDocument | None:
    """A published version that takes effect later (the newest one), if any."""
    now = now or timezone.now()
    return published(kind=kind).filter(effective_at__gt=now).order_by("-effective_at").first()


def document_get_version(*, kind: str, version: str) -> PolicyDocument:
    _check_kind(kind)
    doc = published(kind=kind).filter(version=version).first()
    if doc is None:
        raise NotFound("No such version.")
    return doc


def document_versions(*, kind: str) -> QuerySet[PolicyDocument]:
    _check_kind(kind)
    return published(kind=kind).order_by("-effective_at", "-id")


def _heads(now) -> list[PolicyDocument]:
    """Per kind, the version in effect and the newest scheduled one: one query (the table
    holds a handful of versions per kind)."""
    heads: dict[tuple[str, bool], PolicyDocument] = {}
    for doc in published().order_by("-effective_at", "-id"):
        key = (doc.kind, doc.effective_at > now)
        heads.setdefault(key, doc)
    return [heads[k] for k in sorted(heads, key=lambda k: (KINDS.index(k[0]), k[1]))]


def documents_pending_for(*, user: User, now=None) -> list[PolicyDocument]:
    """Versions a member still has to accept: per kind, the one in effect and the newest
    scheduled one, where they have not accepted that version. Two queries."""
    heads = _heads(now or timezone.now())
    if not heads:
        return []
    accepted = set(
        PolicyAcceptance.objects.filter(user=user, document__in=heads).values_list(
            "document_id", flat=True
        )
    )
    return [d for d in heads if d.pk not in accepted]


def acceptances_for(*, user: User) -> QuerySet[PolicyAcceptance]:
    return PolicyAcceptance.objects.filter(user=user).select_related("document")


def members_to_notify() -> QuerySet[User]:
    """Every active, non-erased person who is a member of a business."""
    return (
        User.objects.filter(is_active=True, erased_at__isnull=True, memberships__isnull=False)
        .distinct()
        .order_by("pk")
    )


# --- rendering -----------------------------------------------------------------------------


def render_body(text: str) -> SafeString:
    """Plain text to HTML: everything escaped; blank lines make paragraphs, '# ' headings,
    '- ' list items."""
    out: list[str] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [ln.rstrip() for ln in block.strip("\n").split("\n") if ln.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("# "):
            out.append(f"<h2>{escape(lines[0][2:].strip())}</h2>")
        elif all(ln.startswith("- ") for ln in lines):
            items = "".join(f"<li>{escape(ln[2:].strip())}</li>" for ln in lines)
            out.append(f"<ul>{items}</ul>")
        else:
            out.append("<p>" + "<br>".join(escape(ln) for ln in lines) + "</p>")
    return mark_safe("\n".join(out))  # noqa: S308 - every piece of text above is escaped


# --- writes --------------------------------------------------------------------------------


@transaction.atomic
def document_publish(*, document: PolicyDocument, actor: User, ip: str | None = None) -> int:
    """Publish a draft version (effective now or later) and notify every member by email.

    Returns how many people the notice is sent to (after the transaction commits).
    """
    doc = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    if doc.published_at is not None:
        raise Conflict("This version is already published.")
    now = timezone.now()
    if doc.effective_at < now - PUBLISH_GRACE:
        raise ValidationFailed(
            fields={"effective_at": ["The effective date must be now or in the future."]}
        )
    latest = published(kind=doc.kind).order_by("-effective_at").first()
    if latest is not None and doc.effective_at <= latest.effective_at:
        raise ValidationFailed(
            fields={
                "effective_at": [
                    f"Must be after the effective date of version {latest.version} "
                    f"({latest.effective_at:%Y-%m-%d %H:%M} UTC)."
                ]
            }
        )
    if not doc.body.strip():
        raise ValidationFailed(fields={"body": ["The text is empty."]})
    doc.effective_at = max(doc.effective_at, now)
    doc.published_at = now
    doc.published_by = actor
    doc.save()
    recipients = list(members_to_notify().values_list("pk", flat=True))
    audit_record(
        action="policies.document.publish",
        obj=doc,
        actor=actor,
        detail={
            "kind": doc.kind,
            "version": doc.version,
            "effective_at": doc.effective_at.isoformat(),
            "notified": len(recipients),
        },
        ip=ip,
    )
    transaction.on_commit(lambda: document_notify(document=doc, user_ids=recipients))
    return len(recipients)


def _notice_text(doc: PolicyDocument, user: User) -> tuple[str, str]:
    when = (
        "now in effect"
        if doc.effective_at <= timezone.now()
        else f"in effect from {doc.effective_at:%B %-d, %Y} (UTC)"
    )
    subject = f"We have updated our {doc.get_kind_display()} (version {doc.version})"
    lines = [
        f"Hello{(' ' + user.full_name) if user.full_name else ''},",
        "",
        f"We have published a new version of our {doc.get_kind_display()}: "
        f"version {doc.version}, {when}.",
    ]
    if doc.summary:
        lines += ["", "What changed:", doc.summary]
    lines += [
        "",
        "Read it here:",
        settings.SITE_URL + reverse("governance:legal-version", args=[doc.kind, doc.version]),
        "",
        "Please review and accept it in the portal:",
        settings.SITE_URL + reverse("governance:accept"),
        "",
        "This is a service notice about your account, sent to every member of a business on "
        "Contact Your Client; it is not marketing, so it is sent whatever your marketing "
        "email choice.",
    ]
    return subject, "\n".join(lines)


def document_notify(*, document: PolicyDocument, user_ids: list[int] | None = None) -> int:
    """Email the notice of a new version to members (a service notice: marketing opt-out
    does not apply). One SMTP connection for all; returns how many were sent."""
    users = members_to_notify()
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    emails = []
    for user in users.iterator(chunk_size=500):
        subject, body = _notice_text(document, user)
        emails.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]))
    sent = 0
    if emails:
        with get_connection() as connection:
            sent = connection.send_messages(emails) or 0
    PolicyDocument.objects.filter(pk=document.pk).update(notified_count=sent)
    return sent


@transaction.atomic
def acceptance_record(
    *,
    user: User,
    documents: list[PolicyDocument],
    business: Business | None,
    method: str,
    ip: str | None = None,
) -> list[PolicyAcceptance]:
    """Record that ``user`` accepted these published versions (once each; repeats are no-ops)."""
    if not user.is_authenticated:
        raise ValidationFailed("Only a signed-in person can accept the terms.")
    docs = [d for d in documents if d.published_at is not None]
    if len(docs) != len(documents):
        raise ValidationFailed("Only published versions can be accepted.")
    done = set(
        PolicyAcceptance.objects.filter(user=user, document__in=docs).values_list(
            "document_id", flat=True
        )
    )
    now = timezone.now()
    rows = [
        PolicyAcceptance(
            user=user, document=d, business=business, method=method, ip=ip, accepted_at=now
        )
        for d in docs
        if d.pk not in done
    ]
    PolicyAcceptance.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        audit_record(
            action="policies.document.accept",
            actor=user,
            business=business,
            object_type="policies.PolicyAcceptance",
            object_id=str(user.uuid),
            detail={"versions": [f"{d.kind}:{d.version}" for d in docs if d.pk not in done]},
            ip=ip,
        )
    return rows


def acceptance_record_current(
    *, user: User, business: Business | None, method: str, ip: str | None = None
) -> list[PolicyAcceptance]:
    """Accept every version in effect now (sign-up: the versions the form linked to)."""
    docs = [d for k in KINDS if (d := document_current(kind=k)) is not None]
    return acceptance_record(user=user, documents=docs, business=business, method=method, ip=ip)


# --- export --------------------------------------------------------------------------------


def user_export_section(user: User) -> list[dict]:
    """The member's accepted terms, for their own data export."""
    return [
        {
            "document": a.document.get_kind_display(),
            "kind": a.document.kind,
            "version": a.document.version,
            "effective_at": a.document.effective_at,
            "accepted_at": a.accepted_at,
            "method": a.method,
            "ip": a.ip,
            "business": str(a.business.uuid) if a.business is not None else None,
        }
        for a in acceptances_for(user=user).select_related("business")
    ]
