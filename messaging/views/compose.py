"""Compose: the page, its contact picker and the live pre-check."""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.billing import selectors as billing_selectors
from accounts.errors import ApplicationError, NotFound
from accounts.roles import Cap
from accounts.tenancy import TenantMixin
from consent.selectors import contact_list

from .. import selectors, services
from ..forms import (
    ComposeForm,
)
from ..media import selectors as media_selectors
from ..media import services as media_services
from ..models import KINDS
from ..segments import MULTI, SINGLE
from ..templating.merge import has_fields
from ..templating.selectors import render_one, template_list
from .common import _error_json, _form_errors_from, _outcome_sentence


class ComposeView(TenantMixin, TemplateView):
    template_name = "messaging/compose.html"
    required_cap = Cap.SEND

    def _numbers(self):
        return list(selectors.sending_numbers(business=self.business))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        numbers = kwargs.get("numbers") or self._numbers()
        if "form" not in kwargs:
            initial = {}
            contact = self._contact(self.request.GET.get("contact"))
            if contact is not None:
                initial = {"to": contact.phone_e164, "contact": contact.uuid}
            context["form"] = ComposeForm(initial=initial, numbers=numbers)
        context["numbers"] = numbers
        context["limits"] = {"single": SINGLE, "multi": MULTI}
        context["business_zone"] = self.business.time_zone
        context["mms"] = {
            "max_count": settings.MEDIA_MAX_COUNT,
            "max_bytes": settings.MEDIA_MAX_TOTAL_BYTES,
            # the business's own prices (its billing plan), in dollars
            **dict(
                zip(
                    ("price_sms", "price_mms"),
                    (p / 10_000 for p in billing_selectors.unit_prices(business=self.business)),
                    strict=True,
                )
            ),
        }
        files = kwargs.get("media_files") or []
        context["media_files"] = files
        context["media_uuids"] = ",".join(str(m.uuid) for m in files)
        context["templates"] = list(template_list(business=self.business))
        return context

    def _media(self, form, request) -> list:
        """Files kept from an earlier check (by uuid), then the ones uploaded now."""
        kept = [u for u in (form.cleaned_data.get("media_uuids") or "").split(",") if u.strip()]
        try:
            media = media_selectors.media_get_many(business=self.business, media_uuids=kept)
        except (NotFound, DjangoValidationError):
            media = []
        for upload in form.cleaned_data.get("attachments") or []:
            media.append(
                media_services.media_create(
                    business=self.business,
                    data=upload.read(settings.MEDIA_UPLOAD_MAX_BYTES + 1),
                    name=upload.name or "",
                    created_by=request.user,
                    field="attachments",
                )
            )
        media_services.media_check_set(media=media, field="attachments")
        return media

    def _contact(self, value):
        from consent.selectors import contact_get

        if not value:
            return None
        try:
            return contact_get(business=self.business, contact_uuid=value)
        except (NotFound, ValueError, DjangoValidationError):  # a bad id in the link: no prefill
            return None

    def _resolve(self, form, numbers):
        data = form.cleaned_data
        contact = self._contact(data.get("contact"))
        if contact is not None and data.get("to") and contact.phone_e164 != data["to"]:
            contact = None  # the person typed another number
        if contact is None and data.get("to"):
            from consent.selectors import contact_for_phone

            contact = contact_for_phone(business=self.business, phone=data["to"])
        number = None
        if data.get("from_number"):
            number = next((n for n in numbers if str(n.uuid) == data["from_number"]), None)
        send_at = None
        if data.get("when") == "later" and data.get("send_at"):
            if data.get("zone_basis") == "business":
                zone = selectors.business_zone(self.business)
            else:
                zone = selectors.recipient_zone(
                    business=self.business, contact=contact, phone=data.get("to", "")
                )
            send_at = selectors.localize(data["send_at"].replace(tzinfo=None), zone)
        return contact, number, send_at

    def post(self, request):
        numbers = self._numbers()
        form = ComposeForm(request.POST, request.FILES, numbers=numbers)
        action = request.POST.get("action", "check")
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(form=form, numbers=numbers), status=400
            )
        contact, number, send_at = self._resolve(form, numbers)
        data = form.cleaned_data
        channel = "portal"  # a person pressing send (automated when scheduled)
        if has_fields(data["body"]):
            # a template's text: each merge field filled in for this recipient, and
            # automated (what a template produces is, gates.automated_for)
            channel = "template"
            try:
                data["body"] = render_one(
                    business=self.business, body=data["body"], contact=contact
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
                return self.render_to_response(
                    self.get_context_data(form=form, numbers=numbers), status=400
                )
        if send_at is not None and send_at <= timezone.now():
            form.add_error("send_at", "That time has passed; choose a later one.")
            return self.render_to_response(
                self.get_context_data(form=form, numbers=numbers), status=400
            )
        media: list = []
        try:
            media = self._media(form, request)
            if action != "send":
                check = selectors.compose_precheck(
                    business=self.business,
                    body=data["body"],
                    kind=data["kind"],
                    phone="" if contact else data.get("to", ""),
                    contact=contact,
                    from_number=number,
                    send_at=send_at,
                    media=media,
                )
                return self.render_to_response(
                    self.get_context_data(
                        form=form, numbers=numbers, check=check, media_files=media
                    )
                )
            message = services.message_enqueue(
                business=self.business,
                body=data["body"],
                kind=data["kind"],
                contact=contact,
                to_phone=None if contact else data.get("to"),
                from_number=number,
                send_at=send_at,
                channel=channel,
                actor=request.user,
                media=media,
            )
        except ApplicationError as exc:
            _form_errors_from(exc, form, {"to_phone": "to", "media": "attachments"})
            return self.render_to_response(
                self.get_context_data(form=form, numbers=numbers, media_files=media),
                status=400,
            )
        level, sentence = _outcome_sentence(message)
        getattr(messages, level)(request, sentence)
        return redirect("messaging:message-detail", message_uuid=message.uuid)


class ComposeContactsView(TenantMixin, View):
    """The compose page's contact picker (static/js/messaging.js): this business's contacts
    whose name, email or number matches ``q``, as JSON."""

    required_cap = Cap.SEND
    limit = 8

    def get(self, request):
        q = request.GET.get("q", "").strip()[:100]
        if len(q) < 2:
            return JsonResponse({"results": []})
        contacts = contact_list(business=self.business, search=q)[: self.limit]
        return JsonResponse(
            {
                "results": [
                    {"uuid": str(c.uuid), "name": c.name, "phone": c.phone_e164} for c in contacts
                ]
            }
        )


class ComposeCheckView(TenantMixin, View):
    """The live pre-check of the compose page: segments and the gate results, as JSON."""

    required_cap = Cap.SEND

    def post(self, request):
        try:
            data = json.loads(request.body or b"{}")
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            data = request.POST.dict()
        kind = data.get("kind") or "marketing"
        if kind not in KINDS:
            return _error_json(
                ApplicationError("Unknown kind.", code="invalid", fields={"kind": ["Unknown."]})
            )
        number = None
        if data.get("from_number"):
            try:
                number = selectors.sending_number_get(
                    business=self.business, number_uuid=data["from_number"]
                )
            except NotFound:
                number = None
        try:
            result = selectors.compose_precheck(
                business=self.business,
                body=str(data.get("body", "")),
                kind=kind,
                phone=str(data.get("to", "")),
                from_number=number,
            )
        except ApplicationError as exc:
            return _error_json(exc)
        return JsonResponse(result)


# --- message log ----------------------------------------------------------------------------------
