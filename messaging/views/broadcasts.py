"""Broadcasts: list, create, detail with progress, start, cancel."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap
from accounts.tenancy import TenantMixin
from consent.audiences.selectors import segment_list

from .. import selectors, services
from ..forms import (
    BroadcastForm,
)
from ..media import selectors as media_selectors
from ..media import services as media_services
from ..models import Broadcast, Message
from ..segments import MULTI, SINGLE
from ..templating.selectors import template_list
from .common import PAGE, _form_errors_from


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
