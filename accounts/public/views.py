"""The public site: landing, policy pages, glossary, book a call, support."""

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView

from accounts.errors import ApplicationError, NotFound
from accounts.models import User
from accounts.portal import help_terms
from accounts.tenancy import client_ip

from . import services as public_services
from .forms import AppointmentForm, SupportForm, VisitorDataForm
from .models import AppointmentRequest

LEGAL_PAGES = {
    "terms": "Terms of Service",
    "privacy": "Privacy notice",
    "sms": "SMS terms for people who receive our customers' texts",
    "acceptable-use": "Acceptable use: what cannot be sent",
}
# The versioned policy documents (policies app, always in config/urls.py).
OFFICIAL = (
    ("governance:legal-terms", "Terms of service (full, versioned)"),
    ("governance:legal-privacy", "Privacy policy (full, versioned)"),
    ("governance:legal-sms", "SMS/MMS content policy (full, versioned)"),
)


def official_documents() -> list[tuple[str, str]]:
    return [(reverse(name), label) for name, label in OFFICIAL]


def _user_or_none(request: HttpRequest) -> User | None:
    """The signed-in user, or None for a visitor (the services record either)."""
    return request.user if isinstance(request.user, User) else None


class LegalIndexView(TemplateView):
    template_name = "public/legal_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pages"] = LEGAL_PAGES
        context["official"] = official_documents()
        return context


class LegalPageView(TemplateView):
    def get_template_names(self):
        return [f"public/legal/{self.kwargs['page']}.html"]

    def get(self, request, *args, **kwargs):
        if kwargs["page"] not in LEGAL_PAGES:
            raise Http404("No such page.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = LEGAL_PAGES[self.kwargs["page"]]
        context["pages"] = LEGAL_PAGES
        context["official"] = official_documents()
        return context


class GlossaryView(TemplateView):
    template_name = "public/glossary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["terms"] = list(help_terms.TERMS.values())
        return context


class AppointmentView(FormView):
    template_name = "public/book.html"
    form_class = AppointmentForm

    def get_initial(self):
        user = self.request.user
        if user.is_authenticated:
            return {"name": user.full_name, "email": user.email}
        return {}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            appt = public_services.appointment_request_create(
                user=_user_or_none(self.request), ip=client_ip(self.request), **data
            )
        except ApplicationError as exc:
            # Only the throttle gets past the form, and it concerns no one field.
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        self.request.session["public_appt"] = str(appt.uuid)
        return redirect("public:book-thanks")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AppointmentThanksView(TemplateView):
    template_name = "public/book_thanks.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        uuid = self.request.session.get("public_appt")
        context["appt"] = AppointmentRequest.objects.filter(uuid=uuid).first() if uuid else None
        return context


class SupportView(FormView):
    template_name = "public/support.html"
    form_class = SupportForm

    def get_initial(self):
        user = self.request.user
        if user.is_authenticated:
            return {"name": user.full_name, "email": user.email}
        return {}

    def form_valid(self, form):
        try:
            req = public_services.support_request_create(
                user=_user_or_none(self.request),
                business=getattr(self.request, "business", None),
                ip=client_ip(self.request),
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            # Only the throttle gets past the form, and it concerns no one field.
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(
            self.request,
            f'We received your question "{req.subject}" and emailed a receipt to {req.email}. '
            "We answer by email, usually within one business day.",
        )
        return redirect("public:support-thanks")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class SupportThanksView(TemplateView):
    template_name = "public/support_thanks.html"


class VisitorDataView(FormView):
    """A visitor asks for a copy or the deletion of the requests they sent us."""

    template_name = "public/visitor_data.html"
    form_class = VisitorDataForm

    def form_valid(self, form):
        link_base = self.request.build_absolute_uri(reverse("public:visitor-data"))
        try:
            public_services.visitor_data_request(
                email=form.cleaned_data["email"],
                action=form.cleaned_data["action"],
                link_base=link_base,
                ip=client_ip(self.request),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        # The same answer whether or not we hold anything from that address.
        messages.success(
            self.request,
            f"If we hold requests sent from {form.cleaned_data['email']}, we have emailed a "
            "link there. Open it within two days to confirm.",
        )
        return redirect("public:visitor-data")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class VisitorDataConfirmView(TemplateView):
    """The emailed link: GET shows what will happen, POST does it (a link scanner's GET
    changes nothing)."""

    template_name = "public/visitor_data_confirm.html"

    def get(self, request, *args, **kwargs):
        try:
            email, action = public_services.visitor_data_token_read(token=kwargs["token"])
        except NotFound as exc:
            return self.render_to_response({"invalid": exc.message}, status=404)
        return self.render_to_response({"email": email, "action": action})

    def post(self, request, *args, **kwargs):
        token = kwargs["token"]
        try:
            _, action = public_services.visitor_data_token_read(token=token)
            if action == "export":
                data = public_services.visitor_data_export(token=token)
                response = JsonResponse(data, encoder=DjangoJSONEncoder)
                response["Content-Disposition"] = 'attachment; filename="my-requests.json"'
                return response
            counts = public_services.visitor_data_erase(token=token)
        except NotFound as exc:
            return self.render_to_response({"invalid": exc.message}, status=404)
        return self.render_to_response({"erased": counts})
