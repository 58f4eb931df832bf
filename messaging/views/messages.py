"""The message log: list, detail, cancel."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap
from accounts.tenancy import TenantMixin

from .. import selectors, services
from ..forms import (
    MessageFilterForm,
)
from ..models import Message
from .common import PAGE


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
