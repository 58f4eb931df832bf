"""Portal pages of policies: the business's policy decisions and strikes, and the
composer's pre-check (JSON, session + CSRF)."""

import json

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError, NotFound
from accounts.roles import Cap
from accounts.tenancy import TenantMixin

from . import selectors, services
from .api.views import KINDS, precheck_input


class PolicyOverviewView(TenantMixin, TemplateView):
    template_name = "policies/overview.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.decision_list(business=self.business), 50).get_page(
            self.request.GET.get("page")
        )
        context["page"] = page
        context["strikes"] = selectors.strike_list(business=self.business)[:50]
        context["hold"] = selectors.hold_current(business=self.business)
        context["kinds"] = KINDS
        return context


class PolicyCheckView(TenantMixin, View):
    """POST {"body", "kind", "campaign"?} -> the decision dict. Records nothing."""

    required_cap = Cap.SEND

    def post(self, request):
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _error(400, "invalid", "Send a JSON object.", {})
        try:
            body, kind, campaign = precheck_input(business=self.business, data=payload)
            decision = services.message_precheck(
                business=self.business, body=body, kind=kind, campaign=campaign
            )
        except NotFound as exc:
            return _error(404, exc.code, exc.message, {})
        except ApplicationError as exc:
            return _error(400, exc.code, exc.message, exc.fields)
        return JsonResponse(decision.as_dict())


def _error(status: int, code: str, message: str, fields: dict) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields, "detail": {}}},
        status=status,
    )
