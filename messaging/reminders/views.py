"""Portal page of appointment reminders: rules, appointments (one, a CSV, a feed)."""

from decimal import Decimal

from django.contrib import messages
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap, role_can
from accounts.tenancy import TenantMixin, form_errors_show, page_again
from messaging import selectors as messaging_selectors
from messaging.templating.selectors import template_list

from . import selectors, services
from .forms import AppointmentForm, FeedForm, ImportForm, RuleForm
from .models import Appointment


class RemindersView(TenantMixin, TemplateView):
    template_name = "reminders/index.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        templates = list(template_list(business=self.business))
        appointments = list(selectors.appointment_list(business=self.business, upcoming=True)[:100])
        context.update(
            rules=selectors.reminder_rule_list(business=self.business),
            appointments=[
                (a, list(selectors.appointment_reminders(appointment=a))) for a in appointments
            ],
            feeds=selectors.calendar_feed_list(business=self.business),
            rates=selectors.appointment_rates(business=self.business),
            rule_form=kwargs.get("rule_form") or RuleForm(templates=templates),
            appointment_form=kwargs.get("appointment_form") or AppointmentForm(prefix="a"),
            import_form=kwargs.get("import_form") or ImportForm(),
            feed_form=kwargs.get("feed_form") or FeedForm(),
            report=kwargs.get("report"),
            has_templates=bool(templates),
            can_send=role_can(self.membership.role, Cap.SEND),
            can_manage=role_can(self.membership.role, Cap.MANAGE_CAMPAIGNS),
            zone=self.business.time_zone,
        )
        return context


class RuleCreateView(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request):
        templates = list(template_list(business=self.business))
        form = RuleForm(request.POST, templates=templates)
        if form.is_valid():
            data = form.cleaned_data
            template = next((t for t in templates if str(t.uuid) == data["template"]), None)
            try:
                services.reminder_rule_create(
                    business=self.business, name=data["name"],
                    minutes_before=int(data["hours_before"] * Decimal(60)), template=template,
                    confirm_word=data["confirm_word"], reschedule_word=data["reschedule_word"],
                    actor=request.user,
                )  # fmt: skip
            except ApplicationError as exc:
                form_errors_show(form, exc, {"minutes_before": "hours_before"})
            else:
                messages.success(request, f"Rule “{data['name']}” saved.")
                return redirect("reminders:index")
        return page_again(RemindersView, self, rule_form=form)


class RuleDeleteView(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, rule_uuid):
        rule = selectors.reminder_rule_get(business=self.business, rule_uuid=rule_uuid)
        services.reminder_rule_delete(rule=rule, actor=request.user)
        messages.success(request, f"Rule “{rule.name}” deleted.")
        return redirect("reminders:index")


class AppointmentCreateView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request):
        form = AppointmentForm(request.POST, prefix="a")
        if form.is_valid():
            data = form.cleaned_data
            zone = messaging_selectors.business_zone(self.business)
            starts_at = messaging_selectors.localize(data["starts_at"].replace(tzinfo=None), zone)
            try:
                services.appointment_create(
                    business=self.business, phone=data["phone"], name=data["name"],
                    starts_at=starts_at,
                    title=data["title"], source="portal", actor=request.user,
                )  # fmt: skip
            except ApplicationError as exc:
                form_errors_show(form, exc)
            else:
                messages.success(request, "Appointment added; its reminders are planned.")
                return redirect("reminders:index")
        return page_again(RemindersView, self, appointment_form=form)


class AppointmentImportView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = services.appointments_import_csv(
                    business=self.business, content=form.cleaned_data["file"].read(),
                    actor=request.user,
                )  # fmt: skip
            except ApplicationError as exc:
                form_errors_show(form, exc)
            else:
                return page_again(RemindersView, self, status=200, report=report)
        return page_again(RemindersView, self, import_form=form)


class AppointmentActionView(TenantMixin, View):
    """Cancel, or mark completed / no-show."""

    required_cap = Cap.SEND

    def post(self, request, appointment_uuid):
        appointment = selectors.appointment_get(
            business=self.business, appointment_uuid=appointment_uuid
        )
        action = request.POST.get("action", "")
        try:
            if action == "cancel":
                services.appointment_cancel(appointment=appointment, actor=request.user)
            elif action in (Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW):
                services.appointment_mark(
                    appointment=appointment, status=action, actor=request.user
                )
            else:
                messages.error(request, "Unknown action.")
                return redirect("reminders:index")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Appointment updated.")
        return redirect("reminders:index")


class FeedCreateView(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request):
        form = FeedForm(request.POST)
        if form.is_valid():
            try:
                feed = services.calendar_feed_create(
                    business=self.business, name=form.cleaned_data["feed_name"],
                    url=form.cleaned_data["url"], actor=request.user,
                )  # fmt: skip
            except ApplicationError as exc:
                form_errors_show(form, exc)
            else:
                outcome = services.calendar_feed_poll(feed=feed)
                feed.refresh_from_db()
                level = messages.error if "error" in outcome else messages.success
                level(request, f"Feed added. First read: {feed.last_result}")
                return redirect("reminders:index")
        return page_again(RemindersView, self, feed_form=form)


class FeedPollView(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, feed_uuid):
        feed = selectors.calendar_feed_get(business=self.business, feed_uuid=feed_uuid)
        outcome = services.calendar_feed_poll(feed=feed)
        feed.refresh_from_db()
        (messages.error if "error" in outcome else messages.success)(request, feed.last_result)
        return redirect("reminders:index")


class FeedDeleteView(TenantMixin, View):
    required_cap = Cap.MANAGE_CAMPAIGNS

    def post(self, request, feed_uuid):
        feed = selectors.calendar_feed_get(business=self.business, feed_uuid=feed_uuid)
        services.calendar_feed_delete(feed=feed, actor=request.user)
        messages.success(request, "Feed removed; its appointments stay.")
        return redirect("reminders:index")
