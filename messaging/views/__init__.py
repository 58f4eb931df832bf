"""Portal pages of messaging: compose (with the live pre-check), the message log,
broadcasts with their progress, the conversations inbox and webhook endpoints.

Thin: forms check shape, services decide, selectors read. Every page is tenant-scoped
through accounts.tenancy.TenantMixin; ids in URLs go through selectors that take the
business (another business's object is a 404).
"""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.billing import selectors as billing_selectors
from accounts.errors import ApplicationError, NotFound
from accounts.roles import Cap
from accounts.tenancy import TenantMixin
from accounts.text import clause, sentences
from consent.audiences.selectors import segment_list
from consent.selectors import contact_list

from . import selectors, services, tenant_webhooks
from .forms import (
    AssignForm,
    BroadcastForm,
    ComposeForm,
    MessageFilterForm,
    QuickReplyForm,
    ReplyForm,
    WebhookEventsForm,
    WebhookForm,
    WebhookTestForm,
)
from .media import selectors as media_selectors
from .media import services as media_services
from .models import KINDS, Broadcast, Message
from .segments import MULTI, SINGLE
from .templating.merge import has_fields
from .templating.selectors import render_one, template_list

PAGE = 50
SECRET_SESSION_KEY = "messaging:new-webhook-secret"  # noqa: S105 - a session key name


def _form_errors_from(exc: ApplicationError, form, aliases: dict | None = None) -> None:
    aliases = aliases or {}
    for field, errors in exc.fields.items():
        name = aliases.get(field, field)
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


def _error_json(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "fields": exc.fields,
                "detail": exc.detail,
            }
        },
        status=exc.status_code,
    )


def _outcome_sentence(message: Message) -> tuple[str, str]:
    """(level, sentence) for the flash after a send."""
    outcome = selectors.message_outcome(message)
    reason = clause(outcome.reason)  # the reasons are sentences; here they end this one
    if message.status == Message.Status.BLOCKED:
        return "error", f"Not sent: {reason or 'a send rule stopped it'}."
    if message.status == Message.Status.HELD:
        return "warning", f"Held for review by our compliance team: {reason}."
    if message.status == Message.Status.SCHEDULED:
        when = timezone.localtime(message.send_after).strftime("%Y-%m-%d %H:%M %Z")
        extra = f" ({reason})" if reason else ""
        return "success", f"Scheduled for {when}{extra}. You can cancel it until then."
    return "success", (
        f"Waiting to go out: each number sends at most {settings.MESSAGING_RATE_LIMIT} texts "
        "a minute."
    )


# --- compose --------------------------------------------------------------------------------------


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


class MessageListView(TenantMixin, TemplateView):
    template_name = "messaging/message_list.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = MessageFilterForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        qs = selectors.message_list(
            business=self.business,
            direction=filters.get("direction", ""),
            statuses=[filters["status"]] if filters.get("status") else None,
            kind=filters.get("kind", ""),
            phone=filters.get("q", ""),
            since=filters.get("date_from"),
            until=filters.get("date_to"),
        )
        page = Paginator(qs, PAGE).get_page(self.request.GET.get("page"))
        rows = selectors.messages_with_media(page)
        waits = selectors.lane_waits(
            business=self.business,
            number_ids=[m.from_number_id for m in rows if m.status == Message.Status.QUEUED],
        )
        context["rows"] = [
            (m, selectors.message_outcome(m, waits.get(m.from_number_id or 0))) for m in rows
        ]
        context["page"] = page
        context["form"] = form
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
        context["filtered"] = bool(filters and any(filters.values()))
        return context


class MessageDetailView(TenantMixin, TemplateView):
    template_name = "messaging/message_detail.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        message = selectors.message_get(
            business=self.business, message_uuid=self.kwargs["message_uuid"]
        )
        context["m"] = selectors.messages_with_media([message])[0]
        waits = selectors.lane_waits(
            business=self.business,
            number_ids=[message.from_number_id] if message.status == Message.Status.QUEUED else [],
        )
        context["outcome"] = selectors.message_outcome(
            message, waits.get(message.from_number_id or 0)
        )
        context["cancelable"] = message.status in (
            Message.Status.QUEUED,
            Message.Status.SCHEDULED,
            Message.Status.HELD,
        )
        # on its way within seconds: the page follows it to delivered or failed (app.js)
        context["in_flight"] = message.status in (
            Message.Status.QUEUED,
            Message.Status.SENDING,
            Message.Status.SENT,
        )
        return context


class MessageCancelView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, message_uuid):
        message = selectors.message_get(business=self.business, message_uuid=message_uuid)
        try:
            services.message_cancel(business=self.business, message=message, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Canceled: it will not be sent.")
        return redirect("messaging:message-detail", message_uuid=message.uuid)


# --- broadcasts -----------------------------------------------------------------------------------


class BroadcastListView(TenantMixin, TemplateView):
    template_name = "messaging/broadcast_list.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.broadcast_list(business=self.business), PAGE).get_page(
            self.request.GET.get("page")
        )
        context["page"] = page
        context["has_numbers"] = selectors.sending_numbers(business=self.business).exists()
        return context


class BroadcastCreateView(TenantMixin, TemplateView):
    template_name = "messaging/broadcast_form.html"
    required_cap = Cap.SEND

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        numbers = kwargs.get("numbers") or list(selectors.sending_numbers(business=self.business))
        context["numbers"] = numbers
        context.setdefault("form", BroadcastForm(numbers=numbers, **self._choices()))
        context["limits"] = {"single": SINGLE, "multi": MULTI}
        return context

    def _choices(self) -> dict:
        return {
            "segments": list(segment_list(business=self.business)),
            "templates": list(template_list(business=self.business)),
        }

    def post(self, request):
        numbers = list(selectors.sending_numbers(business=self.business))
        choices = self._choices()
        form = BroadcastForm(request.POST, request.FILES, numbers=numbers, **choices)
        if form.is_valid():
            data = form.cleaned_data
            number = next((n for n in numbers if str(n.uuid) == data["from_number"]), None)
            segment = next((s for s in choices["segments"] if str(s.uuid) == data["segment"]), None)
            send_at = None
            if data.get("send_at"):
                send_at = selectors.localize(
                    data["send_at"].replace(tzinfo=None), selectors.business_zone(self.business)
                )
            try:
                media = [
                    media_services.media_create(
                        business=self.business,
                        data=upload.read(settings.MEDIA_UPLOAD_MAX_BYTES + 1),
                        name=upload.name or "",
                        created_by=request.user,
                        field="attachments",
                    )
                    for upload in data.get("attachments") or []
                ]
                broadcast = services.broadcast_create(
                    business=self.business,
                    name=data["name"],
                    body=data["body"],
                    kind=data["kind"],
                    from_number=number,
                    tags=data["tags"],
                    segment=segment,
                    send_at=send_at,
                    actor=request.user,
                    media=media,
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form, {"audience": "tags", "media": "attachments"})
            else:
                messages.success(
                    request,
                    "Draft saved. Nothing is sent until you press Start: check the audience and "
                    "the estimate below.",
                )
                return redirect("messaging:broadcast-detail", broadcast_uuid=broadcast.uuid)
        return self.render_to_response(
            self.get_context_data(form=form, numbers=numbers), status=400
        )


def _refreshed(broadcast: Broadcast) -> Broadcast:
    # Completion is the send path's call; ask only once every recipient has a message, so
    # a poll during the fan-out cannot end the broadcast early.
    if broadcast.status == Broadcast.Status.RUNNING:
        created = Message.objects.filter(
            business_id=broadcast.business_id, broadcast=broadcast
        ).count()
        if created >= broadcast.recipient_count:
            return services.broadcast_refresh(broadcast=broadcast)
    return broadcast


class BroadcastDetailView(TenantMixin, TemplateView):
    template_name = "messaging/broadcast_detail.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        broadcast = _refreshed(
            selectors.broadcast_get(
                business=self.business, broadcast_uuid=self.kwargs["broadcast_uuid"]
            )
        )
        outcome = self.request.GET.get("outcome", "")
        if outcome not in ("", "sent", "skipped", "failed", "pending"):
            outcome = ""
        page = Paginator(
            selectors.broadcast_recipients(broadcast=broadcast, outcome=outcome), PAGE
        ).get_page(self.request.GET.get("page"))
        preview = None
        if broadcast.status == Broadcast.Status.DRAFT:
            # the audience may have changed since the draft was saved: count it again
            preview = selectors.broadcast_preview(
                business=self.business,
                body=broadcast.body,
                from_number=broadcast.from_number,
                tags=broadcast.tags,
                contact_uuids=broadcast.contact_uuids,
                segment=broadcast.segment,
                media_count=broadcast.media.count(),
            )
            broadcast.recipient_count = preview["recipients"]
            broadcast.estimate_seconds = preview["estimate_seconds"]
        context.update(pace=(preview or {}).get("limited_by_words", ""))
        context.update(
            b=broadcast,
            media_files=media_selectors.media_for_broadcast(broadcast=broadcast),
            preview=preview,
            progress=selectors.broadcast_progress(broadcast=broadcast),
            estimate=selectors.duration_words(broadcast.estimate_seconds),
            rows=[(m, selectors.message_outcome(m)) for m in page.object_list],
            page=page,
            outcome=outcome,
            query=f"outcome={outcome}" if outcome else "",
            rate_limit=settings.MESSAGING_RATE_LIMIT,
            rate_window=int(settings.MESSAGING_RATE_WINDOW),
        )
        return context


class BroadcastProgressView(TenantMixin, View):
    required_cap = Cap.VIEW

    def get(self, request, broadcast_uuid):
        broadcast = _refreshed(
            selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        )
        return JsonResponse(selectors.broadcast_progress(broadcast=broadcast))


class BroadcastStartView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, broadcast_uuid):
        broadcast = selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        if broadcast.status != Broadcast.Status.DRAFT:
            messages.error(request, "Only a draft can be started.")
        else:
            try:
                services.broadcast_launch(broadcast=broadcast, actor=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request,
                    "Started. Each recipient is checked; those who cannot be texted are "
                    "skipped with the reason below.",
                )
        return redirect("messaging:broadcast-detail", broadcast_uuid=broadcast.uuid)


class BroadcastCancelView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, broadcast_uuid):
        broadcast = selectors.broadcast_get(business=self.business, broadcast_uuid=broadcast_uuid)
        if broadcast.status not in (Broadcast.Status.DRAFT, Broadcast.Status.RUNNING):
            messages.error(request, "This broadcast has already ended.")
        else:
            n = services.broadcast_cancel(broadcast=broadcast, actor=request.user)
            messages.success(request, f"Canceled; {n} waiting message(s) will not be sent.")
        return redirect("messaging:broadcast-detail", broadcast_uuid=broadcast.uuid)


# --- inbox ----------------------------------------------------------------------------------------


class InboxView(TenantMixin, TemplateView):
    template_name = "messaging/inbox.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assigned = self.request.GET.get("assigned", "")
        if assigned not in ("", "me", "none"):
            assigned = ""
        threads = selectors.inbox_threads(
            business=self.business, assigned=assigned, user=self.request.user
        )
        page = Paginator(threads, PAGE).get_page(self.request.GET.get("page"))
        context.update(page=page, assigned=assigned)
        return context


def _contact_or_404(business, contact_uuid):
    from consent.selectors import contact_get

    return contact_get(business=business, contact_uuid=contact_uuid)


class ThreadView(TenantMixin, TemplateView):
    template_name = "messaging/thread.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        from accounts.selectors import membership_list

        context = super().get_context_data(**kwargs)
        contact = _contact_or_404(self.business, self.kwargs["contact_uuid"])
        conversation = selectors.conversation_for(business=self.business, contact=contact)
        members = list(membership_list(business=self.business))
        assigned_uuid = ""
        if conversation is not None and conversation.assigned_to_id:
            assigned_uuid = next(
                (str(m.uuid) for m in members if m.user_id == conversation.assigned_to_id), ""
            )
        context.update(
            contact=contact,
            thread=selectors.thread_messages(business=self.business, contact=contact),
            conversation=conversation,
            consent=selectors.consent_summary(business=self.business, contact=contact),
            reply_form=kwargs.get("reply_form") or ReplyForm(),
            assign_form=AssignForm(initial={"member": assigned_uuid}, members=members),
            quick_replies=selectors.quick_reply_list(business=self.business),
            quick_form=QuickReplyForm(prefix="qr"),
        )
        return context

    def get(self, request, *args, **kwargs):
        # TemplateView.get, with the thread marked read once its context is built (the
        # response renders lazily, after this returns, as before).
        context = self.get_context_data(**kwargs)
        services.conversation_mark_read(business=self.business, contact=context["contact"])
        return self.render_to_response(context)


class ThreadReplyView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, contact_uuid):
        contact = _contact_or_404(self.business, contact_uuid)
        form = ReplyForm(request.POST)
        url = reverse("messaging:thread", kwargs={"contact_uuid": contact.uuid})
        if not form.is_valid():
            messages.error(request, "Write a reply first (at most 1600 characters).")
            return redirect(url)
        last_inbound = (
            Message.objects.filter(
                business=self.business, contact=contact, direction=Message.Direction.INBOUND
            )
            .order_by("-created_at", "-id")
            .first()
        )
        try:
            message = services.message_enqueue(
                business=self.business,
                body=form.cleaned_data["body"],
                kind="conversational",
                contact=contact,
                reply_to=last_inbound,
                channel="inbox",
                actor=request.user,
            )
        except ApplicationError as exc:
            messages.error(
                request,
                sentences([exc.message, *(e for errors in exc.fields.values() for e in errors)]),
            )
            return redirect(url)
        level, sentence = _outcome_sentence(message)
        getattr(messages, level)(request, sentence)
        services.conversation_mark_read(business=self.business, contact=contact)
        return redirect(url)


class ThreadAssignView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, contact_uuid):
        contact = _contact_or_404(self.business, contact_uuid)
        try:
            conversation = services.conversation_assign(
                business=self.business,
                contact=contact,
                member_uuid=request.POST.get("member") or None,
                actor=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, sentences(exc.fields.get("member", [exc.message])))
        else:
            who = conversation.assigned_to
            messages.success(
                request,
                f"Assigned to {who.full_name or who.email}." if who else "Nobody is assigned now.",
            )
        return redirect("messaging:thread", contact_uuid=contact.uuid)


class QuickReplyCreateView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request):
        form = QuickReplyForm(request.POST, prefix="qr")
        back = request.POST.get("next", "")
        if not back.startswith("/app/"):
            back = reverse("messaging:inbox")
        if not form.is_valid():
            messages.error(request, "A quick reply needs a name and a text (640 characters max).")
            return redirect(back)
        try:
            services.quick_reply_create(
                business=self.business, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Quick reply saved.")
        return redirect(back)


class QuickReplyDeleteView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, reply_uuid):
        reply = selectors.quick_reply_get(business=self.business, reply_uuid=reply_uuid)
        services.quick_reply_delete(reply=reply, actor=request.user)
        messages.success(request, "Quick reply removed.")
        back = request.POST.get("next", "")
        return redirect(back if back.startswith("/app/") else reverse("messaging:inbox"))


# --- webhooks -------------------------------------------------------------------------------------


class WebhookListView(TenantMixin, TemplateView):
    template_name = "messaging/webhooks.html"
    required_cap = Cap.MANAGE_CAMPAIGNS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["endpoints"] = tenant_webhooks.webhook_endpoint_list(business=self.business)
        context.setdefault("form", WebhookForm())
        context["headers"] = {
            "id": tenant_webhooks.HEADER_ID,
            "event": tenant_webhooks.HEADER_EVENT,
            "timestamp": tenant_webhooks.HEADER_TIMESTAMP,
            "signature": tenant_webhooks.HEADER_SIGNATURE,
        }
        return context

    def post(self, request):
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                endpoint = tenant_webhooks.webhook_endpoint_create(
                    business=self.business, actor=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                _form_errors_from(exc, form)
            else:
                request.session[SECRET_SESSION_KEY] = [str(endpoint.uuid), endpoint.secret]
                return redirect("messaging:webhook-detail", endpoint_uuid=endpoint.uuid)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WebhookDetailView(TenantMixin, TemplateView):
    template_name = "messaging/webhook_detail.html"
    required_cap = Cap.MANAGE_CAMPAIGNS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        endpoint = tenant_webhooks.webhook_endpoint_get(
            business=self.business, endpoint_uuid=self.kwargs["endpoint_uuid"]
        )
        shown = self.request.session.pop(SECRET_SESSION_KEY, None)
        page = Paginator(
            tenant_webhooks.webhook_delivery_list(business=self.business, endpoint=endpoint), PAGE
        ).get_page(self.request.GET.get("page"))
        context.setdefault("events_form", WebhookEventsForm(initial={"events": endpoint.events}))
        context.setdefault("test_form", WebhookTestForm())
        context.update(
            endpoint=endpoint,
            new_secret=shown[1] if shown and shown[0] == str(endpoint.uuid) else "",
            page=page,
            header_signature=tenant_webhooks.HEADER_SIGNATURE,
            header_timestamp=tenant_webhooks.HEADER_TIMESTAMP,
        )
        return context


class _WebhookAction(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, endpoint_uuid):
        endpoint = tenant_webhooks.webhook_endpoint_get(
            business=self.business, endpoint_uuid=endpoint_uuid
        )
        return self.act(request, endpoint)

    def act(self, request, endpoint) -> HttpResponse:
        raise NotImplementedError  # each action's subclass


class WebhookToggleView(_WebhookAction):
    def act(self, request, endpoint):
        tenant_webhooks.webhook_endpoint_update(
            endpoint=endpoint, is_active=not endpoint.is_active, actor=request.user
        )
        messages.success(request, "Endpoint enabled." if endpoint.is_active else "Endpoint paused.")
        return redirect("messaging:webhook-detail", endpoint_uuid=endpoint.uuid)


class WebhookRotateView(_WebhookAction):
    def act(self, request, endpoint):
        tenant_webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        request.session[SECRET_SESSION_KEY] = [str(endpoint.uuid), endpoint.secret]
        messages.success(request, "New secret made; the old one no longer signs anything.")
        return redirect("messaging:webhook-detail", endpoint_uuid=endpoint.uuid)


class WebhookTestView(WebhookDetailView):
    """Send a test event: the chosen type's documented example, marked as a test."""

    http_method_names = ["post"]

    def post(self, request, endpoint_uuid):
        endpoint = tenant_webhooks.webhook_endpoint_get(
            business=self.business, endpoint_uuid=endpoint_uuid
        )
        form = WebhookTestForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(test_form=form), status=400)
        tenant_webhooks.webhook_send_test(
            endpoint=endpoint, event_type=form.cleaned_data["event"], actor=request.user
        )
        messages.success(request, "Test event queued; it appears in the log below.")
        return redirect("messaging:webhook-detail", endpoint_uuid=endpoint.uuid)


class WebhookEventsView(WebhookDetailView):
    """The endpoint's subscription: which event types it receives."""

    http_method_names = ["post"]

    def post(self, request, endpoint_uuid):
        endpoint = tenant_webhooks.webhook_endpoint_get(
            business=self.business, endpoint_uuid=endpoint_uuid
        )
        form = WebhookEventsForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(events_form=form), status=400)
        tenant_webhooks.webhook_endpoint_update(
            endpoint=endpoint, events=form.cleaned_data["events"], actor=request.user
        )
        messages.success(request, "Subscription saved; new events follow it.")
        return redirect("messaging:webhook-detail", endpoint_uuid=endpoint.uuid)


class WebhookResendView(TenantMixin, View):
    """Send a finished delivery of the log again (the same event id)."""

    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, endpoint_uuid, delivery_uuid):
        endpoint = tenant_webhooks.webhook_endpoint_get(
            business=self.business, endpoint_uuid=endpoint_uuid
        )
        delivery = tenant_webhooks.webhook_delivery_get(
            business=self.business, endpoint=endpoint, delivery_uuid=delivery_uuid
        )
        try:
            tenant_webhooks.webhook_delivery_resend(delivery=delivery, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{delivery.event} queued again; it appears in the log.")
        return redirect("messaging:webhook-detail", endpoint_uuid=endpoint.uuid)


class WebhookDeleteView(_WebhookAction):
    def act(self, request, endpoint):
        tenant_webhooks.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, "Endpoint removed; no more events go there.")
        return redirect("messaging:webhooks")
