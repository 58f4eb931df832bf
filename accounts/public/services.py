"""Writes of the public site: appointment and support requests, their emails, staff answers."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.utils import timezone

from accounts.errors import RateLimited, ValidationFailed
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
    audit_record(action="appointment.requested", obj=appt, actor=user, ip=ip)
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
        obj=appointment,
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
    audit_record(action="support.requested", obj=req, actor=user, business=business, ip=ip)
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
        obj=request,
        actor=actor,
        business=request.business,
        ip=ip,
        detail={"notified": sent},
    )
    return request
