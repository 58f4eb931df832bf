"""Billing's portal pages (owner and billing role) and the processor's webhook."""

from urllib.parse import urlparse

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap
from accounts.tenancy import TenantMixin, signed_in_user
from config.middleware import DEFAULT_CSP

from . import money, selectors, services
from .forms import BillingEmailForm, CapForm
from .models import Invoice


def checkout_origin() -> str:
    """Where "Add a card" and "Pay now" send the browser: the processor's hosted pages."""
    base = urlparse(settings.STRIPE_API_BASE or "https://checkout.stripe.com")
    return f"{base.scheme}://{base.netloc}"


class CheckoutFormsMixin:
    """The pages whose forms continue on the processor's hosted page: the browser follows
    our redirect there only if the policy's form-action names its origin."""

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        response["Content-Security-Policy"] = DEFAULT_CSP.replace(
            "form-action 'self'", f"form-action 'self' {checkout_origin()}"
        )
        return response


class BillingView(CheckoutFormsMixin, TenantMixin, TemplateView):
    template_name = "billing/overview.html"
    required_cap = Cap.MANAGE_BILLING

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = services.account_get_or_create(business=self.business)
        now = timezone.now()
        period = money.period_of(now)
        price = selectors.price_for(plan=account.plan, period=period)
        spend = selectors.spend_of(account=account, now=now)
        context.update(
            account=account,
            price=price,
            period=period,
            usage=selectors.usage_totals(business=self.business, period=period),
            spend=spend,
            spent=money.format_cents(spend.cents, account.currency),
            invoices=selectors.invoices_for(business=self.business),
            balance=money.format_cents(
                selectors.balance_cents(business=self.business), account.currency
            ),
            cap_form=kwargs.get("cap_form")
            or CapForm(
                initial={
                    "monthly_cap": f"{account.monthly_cap_cents / 100:.2f}"
                    if account.monthly_cap_cents is not None
                    else ""
                }
            ),
            email_form=kwargs.get("email_form")
            or BillingEmailForm(initial={"billing_email": account.billing_email}),
        )
        return context

    def post(self, request):
        action = request.POST.get("action")
        user = signed_in_user(request)
        if action == "cap":
            form = CapForm(request.POST)
            if form.is_valid():
                services.cap_set(
                    business=self.business, cap_cents=form.cleaned_data["monthly_cap"], actor=user
                )
                messages.success(request, "Spending cap saved.")
                return redirect("billing:overview")
            return self.render_to_response(self.get_context_data(cap_form=form), status=400)
        if action == "email":
            email_form = BillingEmailForm(request.POST)
            if email_form.is_valid():
                services.billing_email_set(
                    business=self.business,
                    email=email_form.cleaned_data["billing_email"],
                    actor=user,
                )
                messages.success(request, "Billing contact saved.")
                return redirect("billing:overview")
            return self.render_to_response(self.get_context_data(email_form=email_form), status=400)
        if action == "card":
            return_url = request.build_absolute_uri(reverse("billing:overview"))
            try:
                url = services.card_setup_start(business=self.business, return_url=return_url)
            except ApplicationError as exc:
                messages.error(request, exc.message)
                return redirect("billing:overview")
            return redirect(url)
        if action == "remove-card":
            services.card_remove(business=self.business, actor=user)
            messages.success(request, "Card removed. Add one before your next invoice.")
            return redirect("billing:overview")
        messages.error(request, "Unknown action.")
        return redirect("billing:overview")


class InvoiceView(CheckoutFormsMixin, TenantMixin, TemplateView):
    template_name = "billing/invoice.html"
    required_cap = Cap.MANAGE_BILLING

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invoice = selectors.invoice_get(
            business=self.business, invoice_uuid=self.kwargs["invoice_uuid"]
        )
        context.update(services.invoice_context(invoice))
        context["payable"] = (
            invoice.status in (Invoice.Status.ISSUED, Invoice.Status.FAILED)
            and invoice.balance_cents > 0
        )
        return context

    def post(self, request, invoice_uuid):
        invoice = selectors.invoice_get(business=self.business, invoice_uuid=invoice_uuid)
        return_url = request.build_absolute_uri(reverse("billing:invoice", args=[invoice.uuid]))
        try:
            url = services.invoice_checkout_start(invoice=invoice, return_url=return_url)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("billing:invoice", invoice.uuid)
        return redirect(url)


class InvoicePdfView(TenantMixin, View):
    required_cap = Cap.MANAGE_BILLING

    def get(self, request, invoice_uuid):
        invoice = selectors.invoice_get(business=self.business, invoice_uuid=invoice_uuid)
        response = HttpResponse(
            services.invoice_pdf(invoice=invoice), content_type="application/pdf"
        )
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response


@method_decorator(csrf_exempt, name="dispatch")  # the processor signs its posts instead
class ProcessorWebhookView(View):
    def post(self, request: HttpRequest) -> JsonResponse:
        try:
            outcome = services.webhook_handle(
                payload=request.body, signature=request.headers.get("Stripe-Signature", "")
            )
        except ApplicationError as exc:
            return JsonResponse(
                {"error": {"code": exc.code, "message": exc.message, "fields": {}, "detail": {}}},
                status=exc.status_code,
            )
        return JsonResponse({"received": True, "outcome": outcome})
