"""Webhook endpoints: list, detail, toggle, rotate, test, events, resend, delete."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap
from accounts.tenancy import TenantMixin

from .. import tenant_webhooks
from ..forms import (
    WebhookEventsForm,
    WebhookForm,
    WebhookTestForm,
)
from .common import PAGE, SECRET_SESSION_KEY, _form_errors_from


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
