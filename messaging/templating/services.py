"""Writes: templates (checked by the grammar and, once, by the policy engine), and sending
one rendered template through the one send path."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.models import Business
from accounts.services import audit_record
from consent.selectors import contact_for_phone
from messaging.models import KINDS, Message
from messaging.services import message_enqueue
from policies.services import message_check

from . import merge
from .models import MessageTemplate
from .selectors import clean_variables, render_one, template_parse

NAME_MAX = 120
BODY_MAX = 1600


def _checked(*, business: Business, name: str, kind: str, body: str) -> tuple[str, list]:
    """Validate the fields and judge the template once (the text an empty recipient gets):
    a block is refused here with the engine's reasons; each rendering is judged again at send."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = ["Give the template a name."]
    if kind not in KINDS:
        errors["kind"] = ["Unknown kind."]
    if not body.strip():
        errors["body"] = ["The template is empty."]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"At most {BODY_MAX} characters."]
    if errors:
        raise ValidationFailed(fields=errors)
    parts = template_parse(body)
    decision = message_check(business=business, body=merge.skeleton(parts), kind=kind)
    reasons = [r.as_dict() for r in decision.reasons]
    if decision.decision == "block":
        words = "; ".join(str(r.get("message") or r.get("category")) for r in reasons[:3])
        raise ValidationFailed(
            f"The content rules refuse this template: {words}",
            fields={"body": [f"The content rules refuse this template: {words}"]},
            detail={"reasons": reasons},
        )
    return decision.decision, reasons


def template_create(
    *, business: Business, name: str, body: str, kind: str = "informational", actor=None
) -> MessageTemplate:
    verdict, reasons = _checked(business=business, name=name, kind=kind, body=body)
    try:
        with transaction.atomic():
            template = MessageTemplate.objects.create(
                business=business,
                name=name.strip()[:NAME_MAX],
                kind=kind,
                body=body,
                verdict=verdict,
                reasons=reasons,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise Conflict(
            "A template with that name exists.",
            fields={"name": ["A template with that name exists."]},
        ) from None
    audit_record(action="templating.create", obj=template, actor=actor, business=business)
    return template


def template_update(
    *,
    template: MessageTemplate,
    name: str | None = None,
    body: str | None = None,
    kind: str | None = None,
    actor=None,
) -> MessageTemplate:
    name = template.name if name is None else name
    body = template.body if body is None else body
    kind = template.kind if kind is None else kind
    verdict, reasons = _checked(business=template.business, name=name, kind=kind, body=body)
    template.name, template.body, template.kind = name.strip()[:NAME_MAX], body, kind
    template.verdict, template.reasons = verdict, reasons
    template.updated_at = timezone.now()
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise Conflict(
            "A template with that name exists.",
            fields={"name": ["A template with that name exists."]},
        ) from None
    audit_record(action="templating.update", obj=template, actor=actor, business=template.business)
    return template


def template_delete(*, template: MessageTemplate, actor=None) -> None:
    audit_record(action="templating.delete", obj=template, actor=actor, business=template.business)
    template.delete()


def template_send(
    *,
    business: Business,
    template: MessageTemplate,
    to_phone: str | None = None,
    contact=None,
    variables: dict[str, Any] | None = None,
    from_number=None,
    send_at=None,
    idempotency_key: str | None = None,
    actor=None,
) -> Message:
    """Render ``template`` for the recipient and send it through ``message_enqueue`` (every
    gate judges the rendered text). Automated: channel ``template``."""
    variables = clean_variables(variables)
    if contact is None and to_phone:
        contact = contact_for_phone(business=business, phone=to_phone)
    body = render_one(business=business, body=template.body, contact=contact, variables=variables)
    return message_enqueue(
        business=business,
        body=body,
        kind=template.kind,
        contact=contact,
        to_phone=None if contact is not None else to_phone,
        from_number=from_number,
        channel="template",
        send_at=send_at,
        idempotency_key=idempotency_key,
        actor=actor,
    )
