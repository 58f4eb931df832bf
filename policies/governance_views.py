"""Governance pages: the public policy documents, accepting new versions (portal), the
business's Compliance page (portal), and the banner that asks members to accept.

Also ``register_hooks()``: the portal navigation entry and the export sections.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.generic import TemplateView

from accounts.errors import NotFound
from accounts.roles import Cap
from accounts.tenancy import TenantMixin, client_ip, signed_in_user

from . import documents, penalties
from .models import Strike

KIND_LABELS = dict(documents.PolicyDocument.Kind.choices)


def register_hooks() -> None:
    """Navigation and export sections (idempotent)."""
    from accounts.portal import navigation
    from accounts.privacy import exports

    navigation.register(navigation.NavItem(62, "Compliance", "governance:compliance", Cap.VIEW))
    exports.register_user("policy_acceptances", documents.user_export_section)
    exports.register("compliance", penalties.business_export_section)


def _legal_context(doc, *, current) -> dict:
    from accounts.public.views import LEGAL_PAGES

    return {
        "doc": doc,
        "body": documents.render_body(doc.body),
        "is_current": current is not None and doc.pk == current.pk,
        "current": current,
        "versions": documents.document_versions(kind=doc.kind),
        "scheduled": documents.document_scheduled(kind=doc.kind),
        "pages": LEGAL_PAGES,
        "kinds": KIND_LABELS,
    }


class LegalDocumentView(TemplateView):
    """The version in effect of one policy, at its stable address."""

    template_name = "governance/legal_document.html"
    kind = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        current = documents.document_current(kind=self.kind)
        if current is None:
            raise Http404("Not published yet.")
        context.update(_legal_context(current, current=current))
        return context


class LegalVersionView(TemplateView):
    """Any published version of a policy, including past and scheduled ones."""

    template_name = "governance/legal_document.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            doc = documents.document_get_version(
                kind=self.kwargs["kind"], version=self.kwargs["version"]
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        context.update(_legal_context(doc, current=documents.document_current(kind=doc.kind)))
        return context


class AcceptView(TenantMixin, TemplateView):
    """New versions waiting for this member's acceptance; POST accepts the ones shown."""

    template_name = "governance/accept.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = signed_in_user(self.request)
        context["pending"] = documents.documents_pending_for(user=user)
        context["accepted"] = documents.acceptances_for(user=user)[:20]
        context["next"] = self._next()
        return context

    def _next(self) -> str:
        nxt = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if nxt and url_has_allowed_host_and_scheme(
            nxt, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return nxt
        return ""

    def post(self, request, *args, **kwargs):
        pending = {str(d.uuid): d for d in documents.documents_pending_for(user=request.user)}
        chosen = [pending[u] for u in request.POST.getlist("document") if u in pending]
        if not chosen:
            messages.info(request, "Nothing to accept: you have accepted every current version.")
            return redirect("governance:accept")
        documents.acceptance_record(
            user=request.user,
            documents=chosen,
            business=self.business,
            method="portal",
            ip=client_ip(request),
        )
        names = ", ".join(f"{d.get_kind_display()} v{d.version}" for d in chosen)
        messages.success(request, f"Thank you. You accepted: {names}.")
        return redirect(self._next() or "governance:accept")


class ComplianceView(TenantMixin, TemplateView):
    """The business's strikes, carrier penalties and restrictions, with what to do."""

    template_name = "governance/compliance.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        b = self.business
        in_force = list(penalties.restrictions_in_force(business=b))
        context.update(
            {
                "in_force": in_force,
                "past": penalties.restriction_history(business=b).exclude(
                    pk__in=[r.pk for r in in_force]
                )[:50],
                "penalties": penalties.penalty_list(business=b).select_related("offsets"),
                "totals": penalties.penalty_totals(business=b),
                "strikes": Strike.objects.filter(business=b).order_by("-created_at")[:50],
                "active_strikes": Strike.objects.filter(business=b, active=True).count(),
            }
        )
        return context


class PolicyNoticeMiddleware:
    """On portal pages, a banner asks a member to accept new policy versions until they do.

    It rides on the messages list every page renders (base.html), added only when a
    template is about to render, so a redirect never carries it to the next page twice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_template_response(self, request, response):
        if (
            not request.path.startswith("/app/")
            or getattr(request, "membership", None) is None
            or request.path == reverse("governance:accept")
            or not hasattr(request, "_messages")
        ):
            return response
        pending = documents.documents_pending_for(user=request.user)
        if pending:
            names = ", ".join(f"{d.get_kind_display()} (version {d.version})" for d in pending)
            text = format_html(
                'We have updated our policies: {}. <a href="{}?{}">Review and accept</a>.',
                names,
                reverse("governance:accept"),
                urlencode({"next": request.path}),
            )
            messages.warning(request, text, extra_tags="policy-notice")
        return response
