"""Writes of the public site: appointment and support requests, their emails, staff answers."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.errors import NotFound, RateLimited, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record

from .models import AppointmentRequest, SupportRequest

logger = logging.getLogger(__name__)

# Per IP and form, so one visitor cannot flood staff's queue or our outgoing mail.
FORM_LIMIT = 5
FORM_WINDOW = 3600


def _throttle(*, form: str, ip: str | None) -> None:
    key = f"public-form:{form}:{ip or 'unknown'}"
    count = cache.get_or_set(key, 0, FORM_WINDOW) or 0
    if count >= FORM_LIMIT:
        raise RateLimited(
            "You have sent several requests in the last hour. Please wait an hour, or write "
            "to us by email."
        )
    try:
        cache.incr(key)
    except ValueError:  # expired between get and incr
        cache.set(key, 1, FORM_WINDOW)


def _mail(*, subject: str, body: str, to: str) -> bool:
    """Send one email; a mail outage must not lose the stored request (staff see it)."""
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    except Exception:
        logger.exception("public-site email to requester failed")
        return False
    return True


def appointment_request_create(
    *,
    name: str,
    email: str,
    phone: str,
    preferred_times: str,
    topic: str = AppointmentRequest.Topic.DEMO,
    time_zone: str = "",
    note: str = "",
    user: User | None = None,
    ip: str | None = None,
) -> AppointmentRequest:
    if topic not in AppointmentRequest.Topic.values:
        raise ValidationFailed("Choose what the call is about.", fields={"topic": ["Invalid."]})
    _throttle(form="appointment", ip=ip)
    appt = AppointmentRequest.objects.create(
        name=name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        preferred_times=preferred_times.strip(),
        topic=topic,
        time_zone=time_zone,
        note=note.strip(),
        user=user if user is not None and user.is_authenticated else None,
        ip=ip,
    )
    # by id, not obj: the append-only trail must not keep the visitor's name and email
    audit_record(
        action="appointment.requested",
        object_type=appt._meta.label,
        object_id=str(appt.uuid),
        actor=user,
        ip=ip,
    )
    sent = _mail(
        to=appt.email,
        subject="We got your request for a call — Contact Your Client",
        body=(
            f"Hello {appt.name},\n\n"
            f"Thank you for asking for {appt.get_topic_display().lower()}. We will call you at "
            f"{appt.phone} at one of the times you gave:\n\n{appt.preferred_times}\n\n"
            "We confirm the exact time by email within one business day. If none of those "
            "times works any more, just reply to this email.\n\n— The Contact Your Client team\n"
        ),
    )
    if sent:
        appt.acknowledged_at = timezone.now()
        appt.save(update_fields=["acknowledged_at"])
    return appt


def appointment_request_set_status(
    *,
    appointment: AppointmentRequest,
    status: str,
    actor: User,
    scheduled_for=None,
    ip: str | None = None,
) -> AppointmentRequest:
    if status not in AppointmentRequest.Status.values:
        raise ValidationFailed("Unknown status.", fields={"status": ["Invalid."]})
    before = appointment.status
    appointment.status = status
    if scheduled_for is not None:
        appointment.scheduled_for = scheduled_for
    appointment.save(update_fields=["status", "scheduled_for"])
    audit_record(
        action="appointment.status",
        object_type=appointment._meta.label,
        object_id=str(appointment.uuid),
        actor=actor,
        ip=ip,
        detail={"from": before, "to": status},
    )
    return appointment


def support_request_create(
    *,
    name: str,
    email: str,
    subject: str,
    body: str,
    user: User | None = None,
    business: Business | None = None,
    ip: str | None = None,
) -> SupportRequest:
    _throttle(form="support", ip=ip)
    req = SupportRequest.objects.create(
        name=name.strip(),
        email=email.strip().lower(),
        subject=subject.strip(),
        body=body.strip(),
        user=user if user is not None and user.is_authenticated else None,
        business=business,
        ip=ip,
    )
    audit_record(
        action="support.requested",
        object_type=req._meta.label,
        object_id=str(req.uuid),
        actor=user,
        business=business,
        ip=ip,
    )
    sent = _mail(
        to=req.email,
        subject=f"We received your question: {req.subject}",
        body=(
            f"Hello {req.name},\n\nWe received your question and will answer by email, "
            "usually within one business day. Your message:\n\n"
            f"{req.body}\n\n— Contact Your Client support\n"
        ),
    )
    if sent:
        req.acknowledged_at = timezone.now()
        req.save(update_fields=["acknowledged_at"])
    return req


def support_request_answer(
    *, request: SupportRequest, answer: str, actor: User, ip: str | None = None
) -> SupportRequest:
    """Staff answer: stored, emailed to the requester, recorded in the audit trail."""
    answer = answer.strip()
    if not answer:
        raise ValidationFailed("Write an answer first.", fields={"answer": ["Required."]})
    request.answer = answer
    request.status = SupportRequest.Status.ANSWERED
    request.answered_by = actor
    request.answered_at = timezone.now()
    sent = _mail(
        to=request.email,
        subject=f"Re: {request.subject}",
        body=(
            f"Hello {request.name},\n\n{answer}\n\n"
            "If this does not solve it, reply to this email or send a new request from "
            "the support page.\n\n— Contact Your Client support\n\n"
            f"Your question:\n{request.body}\n"
        ),
    )
    request.notified_at = timezone.now() if sent else None
    request.save(update_fields=["answer", "status", "answered_by", "answered_at", "notified_at"])
    audit_record(
        action="support.answered",
        object_type=request._meta.label,
        object_id=str(request.uuid),
        actor=actor,
        business=request.business,
        ip=ip,
        detail={"notified": sent},
    )
    return request


def support_request_delete(*, request: SupportRequest, actor: User, ip: str | None = None) -> None:
    """Staff delete a support request (the person asked, or it should not be kept)."""
    audit_record(
        action="support.deleted",
        object_type=request._meta.label,
        object_id=str(request.uuid),
        actor=actor,
        business=request.business,
        ip=ip,
    )
    request.delete()


# --- visitors' data rights: export and erasure by email, proven by a link -----------------

VISITOR_DATA_SALT = "accounts.public.visitor-data"
VISITOR_DATA_MAX_AGE = 2 * 24 * 3600  # the emailed link works for two days
VISITOR_ACTIONS = {"export": "a copy of", "erase": "the deletion of"}
RETENTION_RULE = "visitors' requests deleted after RETENTION_VISITOR_REQUEST_DAYS"


def _visitor_rows(email: str):
    email = email.strip().lower()
    return (
        AppointmentRequest.objects.filter(email__iexact=email),
        SupportRequest.objects.filter(email__iexact=email),
    )


def visitor_data_request(*, email: str, action: str, link_base: str, ip: str | None) -> bool:
    """Email a link that proves the address is the visitor's; only it opens their data.

    The answer on the page is the same whether or not we hold anything (no one learns
    who wrote to us); the email goes out only when we do. Returns whether it went."""
    if action not in VISITOR_ACTIONS:
        raise ValidationFailed("Choose what you ask for.", fields={"action": ["Invalid."]})
    _throttle(form="visitor-data", ip=ip)
    email = email.strip().lower()
    appointments, supports = _visitor_rows(email)
    if not (appointments.exists() or supports.exists()):
        return False
    token = signing.dumps({"e": email, "a": action}, salt=VISITOR_DATA_SALT)
    return _mail(
        to=email,
        subject="Your request about your data — Contact Your Client",
        body=(
            f"Someone (we hope you) asked for {VISITOR_ACTIONS[action]} the requests you sent "
            "us from this address (calls booked, questions to support).\n\n"
            f"Open this link within two days to confirm:\n{link_base}{token}/\n\n"
            "If it was not you, ignore this email: nothing happens without the link.\n\n"
            "— Contact Your Client\n"
        ),
    )


def visitor_data_token_read(*, token: str) -> tuple[str, str]:
    """(email, action) of a link we emailed; NotFound when forged, altered or expired."""
    try:
        data = signing.loads(token, salt=VISITOR_DATA_SALT, max_age=VISITOR_DATA_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired is one
        raise NotFound("This link is not valid any more. Ask again for a new one.") from exc
    return data["e"], data["a"]


APPOINTMENT_EXPORT = (
    "uuid", "topic", "name", "email", "phone", "preferred_times", "time_zone", "note",
    "status", "scheduled_for", "ip", "created_at",
)  # fmt: skip
SUPPORT_EXPORT = (
    "uuid", "name", "email", "subject", "body", "status", "answer", "answered_at", "ip",
    "created_at",
)  # fmt: skip


def _export_rows(appointments, supports) -> dict:
    return {
        "appointment_requests": list(
            appointments.order_by("created_at", "id").values(*APPOINTMENT_EXPORT)
        ),
        "support_requests": list(supports.order_by("created_at", "id").values(*SUPPORT_EXPORT)),
    }


def visitor_data_export(*, token: str) -> dict:
    """Everything the visitor sent us from the proven address, as JSON-able data."""
    email, _ = visitor_data_token_read(token=token)
    appointments, supports = _visitor_rows(email)
    audit_record(
        action="visitor.export", detail={"requests": appointments.count() + supports.count()}
    )
    return {
        "format": "contactyourclient.visitor-export",
        "generated_at": timezone.now(),
        "email": email,
        **_export_rows(appointments, supports),
    }


def member_requests_export(user: User) -> dict:
    """A member's own export: the calls they booked and questions they asked, signed in or
    from their address (section ``public_requests``, registered by accounts/apps.py)."""
    mine = Q(user=user) | Q(email__iexact=user.email)
    return _export_rows(
        AppointmentRequest.objects.filter(mine), SupportRequest.objects.filter(mine)
    )


@transaction.atomic
def visitor_data_erase(*, token: str) -> dict:
    """Delete every request the visitor sent from the proven address."""
    email, action = visitor_data_token_read(token=token)
    if action != "erase":
        raise NotFound("This link asks for a copy, not a deletion. Ask again to delete.")
    appointments, supports = _visitor_rows(email)
    counts = {
        "appointment_requests": appointments.delete()[0],
        "support_requests": supports.delete()[0],
    }
    audit_record(action="visitor.erase", detail=counts)  # counts only: not the address
    return counts


def visitor_requests_purge(*, now: datetime, dry_run: bool) -> dict:
    """Requests closed (or left) before RETENTION_VISITOR_REQUEST_DAYS are deleted; a call
    still to come and an unanswered question stay."""
    cutoff = now - timedelta(days=settings.RETENTION_VISITOR_REQUEST_DAYS)
    appointments = AppointmentRequest.objects.filter(created_at__lt=cutoff).exclude(
        status=AppointmentRequest.Status.SCHEDULED, scheduled_for__gte=now
    )
    supports = SupportRequest.objects.filter(created_at__lt=cutoff).filter(
        ~Q(status=SupportRequest.Status.OPEN)
    )
    if dry_run:
        return {"appointment_requests": appointments.count(), "support_requests": supports.count()}
    return {
        "appointment_requests": appointments.delete()[0],
        "support_requests": supports.delete()[0],
    }


# The public site's fields for the register of personal data (accounts.privacy.inventory);
# the tenant base's AppConfig declares them (the two sub-apps do not import each other).
PERSONAL_DATA: list[dict[str, Any]] = [
    {
        "model": "public.AppointmentRequest",
        "fields": [
            "name", "email", "phone", "preferred_times", "time_zone", "note", "staff_note", "ip",
        ],
        "erasure": "deleted by visitor_data_erase (a link emailed to the address proves it)",
        "export": "visitor_data_export (the emailed link); a member's own export too",
        "retention": RETENTION_RULE,
    },
    {
        "model": "public.SupportRequest",
        "fields": ["name", "email", "subject", "body", "answer", "ip"],
        "erasure": "deleted by visitor_data_erase; staff delete one in the admin",
        "export": "visitor_data_export (the emailed link); a member's own export too",
        "retention": RETENTION_RULE,
    },
]  # fmt: skip
