"""Compliance staff: edit the rules (every edit recorded and recompiled everywhere), the
review queue of flagged businesses, strikes and holds, and the decisions log."""

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.forms.models import model_to_dict
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.client_ip import client_ip
from accounts.errors import ApplicationError

from . import services
from .models import (
    BusinessScreening,
    Category,
    IndustryDescriptor,
    Pattern,
    PolicyDecision,
    PolicyHold,
    ProhibitedUseCase,
    RuleChange,
    RuleSet,
    ShortenerDomain,
    Strike,
    Term,
    TradeVocabulary,
)


def _snapshot(obj) -> dict:
    data = model_to_dict(obj)
    return {
        k: (str(v) if not isinstance(v, (str, int, float, bool, type(None), list)) else v)
        for k, v in data.items()
    }


if TYPE_CHECKING:
    # The mixin extends the ModelAdmin it is mixed into, later in the MRO at run time.
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


class RuleAdminMixin(_ModelAdminBase):
    """Every save and delete bumps the rule revision and lands in the rule history."""

    def _name(self, obj) -> str:
        return str(getattr(obj, "rule_id", None) or obj)

    def save_model(self, request, obj, form, change):
        before = _snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else None
        if hasattr(obj, "updated_by_id"):
            obj.updated_by = request.user
        if hasattr(obj, "updated_at"):
            obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
        services.rule_change_record(
            kind=type(obj).__name__,
            rule=self._name(obj),
            action="update" if change else "create",
            before=before,
            after=_snapshot(obj),
            actor=request.user,
        )

    def delete_model(self, request, obj):
        before = _snapshot(obj)
        name = self._name(obj)
        super().delete_model(request, obj)
        services.rule_change_record(
            kind=type(obj).__name__,
            rule=name,
            action="delete",
            before=before,
            after=None,
            actor=request.user,
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Category)
class CategoryAdmin(RuleAdminMixin, admin.ModelAdmin):
    list_display = ("slug", "name", "explain")
    search_fields = ("slug", "name")


class TermForm(forms.ModelForm):
    class Meta:
        model = Term
        fields = (
            "rule_id",
            "category",
            "scope",
            "phrase",
            "verdict",
            "fuzzy",
            "exceptions",
            "explain",
            "enabled",
        )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        phrase = (data.get("phrase") or "").lower()
        for line in (data.get("exceptions") or "").splitlines():
            if line.strip() and phrase and phrase not in line.lower():
                self.add_error("exceptions", f"“{line.strip()}” does not contain “{phrase}”.")
        return data


@admin.register(Term)
class TermAdmin(RuleAdminMixin, admin.ModelAdmin):
    form = TermForm
    list_display = ("phrase", "category", "scope", "verdict", "fuzzy", "enabled", "updated_at")
    list_filter = ("scope", "category", "verdict", "enabled")
    search_fields = ("phrase", "rule_id", "exceptions")
    list_select_related = ("category",)
    readonly_fields = ("updated_at", "updated_by")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(scope__in=[Term.Scope.INDUSTRY, Term.Scope.VOCABULARY])
        )


@admin.register(IndustryDescriptor)
class IndustryDescriptorAdmin(TermAdmin):
    def get_queryset(self, request):
        return Term.objects.filter(scope=Term.Scope.INDUSTRY).select_related("category")

    def get_changeform_initial_data(self, request):
        return {"scope": Term.Scope.INDUSTRY}


@admin.register(TradeVocabulary)
class TradeVocabularyAdmin(TermAdmin):
    """Trade language per category, edited like every rule (history, new revision, every
    engine recompiles): a word added here reads as its category to the learned layer at
    once, with the weight the model learned for that category's vocabulary."""

    def get_list_display(self, request):
        return ("phrase", "category", "enabled", "updated_at", "updated_by")

    def get_list_filter(self, request):
        return ("category", "enabled")

    def get_queryset(self, request):
        return Term.objects.filter(scope=Term.Scope.VOCABULARY).select_related("category")

    def get_changeform_initial_data(self, request):
        return {"scope": Term.Scope.VOCABULARY, "fuzzy": False}


@admin.register(ShortenerDomain)
class ShortenerDomainAdmin(RuleAdminMixin, admin.ModelAdmin):
    list_display = ("domain", "enabled", "note", "updated_at")
    list_filter = ("enabled",)
    search_fields = ("domain",)


@admin.register(ProhibitedUseCase)
class ProhibitedUseCaseAdmin(RuleAdminMixin, admin.ModelAdmin):
    list_display = ("usecase", "category", "verdict", "enabled")


class PatternForm(forms.ModelForm):
    class Meta:
        model = Pattern
        fields = (
            "rule_id",
            "category",
            "scope",
            "label",
            "regex",
            "needs",
            "verdict",
            "explain",
            "enabled",
        )

    def clean_regex(self):
        value = self.cleaned_data["regex"]
        try:
            re.compile(value)
        except re.error as exc:
            raise forms.ValidationError(f"Not a valid regular expression: {exc}") from exc
        return value


@admin.register(Pattern)
class PatternAdmin(RuleAdminMixin, admin.ModelAdmin):
    form = PatternForm
    list_display = ("rule_id", "category", "scope", "label", "enabled")
    list_filter = ("scope", "enabled")


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("version", "revision", "updated_at")
    readonly_fields = ("version", "revision", "updated_at", "fuzzy_stoplist")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RuleChange)
class RuleChangeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "kind", "rule", "actor", "revision")
    list_filter = ("action", "kind")
    search_fields = ("rule",)
    readonly_fields = [f.name for f in RuleChange._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- the review queue -----------------------------------------------------------------------


def _with_reason(*, label: str, apply):
    """An admin action asking for a reason on an intermediate page, then ``apply(obj,
    reason, request)`` on each selected object; errors are reported per object."""

    def action(modeladmin, request, queryset):
        reason = request.POST.get("reason", "")
        if "apply" in request.POST:
            if reason.strip():
                done = 0
                for obj in queryset:
                    try:
                        apply(obj, reason, request)
                        done += 1
                    except ApplicationError as exc:
                        modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
                if done:
                    modeladmin.message_user(request, f"{label}: {done} done.", messages.SUCCESS)
                return None
            error = "A reason is required."
        else:
            error = ""
        return TemplateResponse(
            request,
            "admin/policies/reason_action.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": label,
                "objects": queryset,
                "action": request.POST.get("action"),
                "opts": modeladmin.model._meta,
                "error": error,
                "reason": reason,
            },
        )

    action.__name__ = re.sub(r"\W+", "_", label.lower())
    return admin.action(description=label)(action)


def _reasons_html(reasons: list[dict]):
    return format_html(
        "<ul>{}</ul>",
        format_html_join(
            "",
            "<li>{} <small>({}, {})</small></li>",
            ((r.get("message", ""), r.get("category", ""), r.get("rule_id", "")) for r in reasons),
        ),
    )


@admin.register(BusinessScreening)
class BusinessScreeningAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "decision", "category_list", "status", "created_at")
    list_filter = ("status", "decision")
    search_fields = ("name", "industry_description", "website")
    list_select_related = ("business",)
    readonly_fields = (
        "business",
        "name",
        "industry_description",
        "website",
        "decision",
        "categories",
        "reasons_shown",
        "status",
        "staff_reason",
        "decided_by",
        "decided_at",
        "rules_version",
        "created_at",
    )
    exclude = ("reasons",)
    actions = [
        _with_reason(
            label="Approve the business",
            apply=lambda s, reason, request: services.screening_decide(
                screening=s,
                approve=True,
                reason=reason,
                actor=request.user,
                ip=client_ip(request),
            ),
        ),
        _with_reason(
            label="Reject the business",
            apply=lambda s, reason, request: services.screening_decide(
                screening=s,
                approve=False,
                reason=reason,
                actor=request.user,
                ip=client_ip(request),
            ),
        ),
    ]

    @admin.display(description="categories")
    def category_list(self, obj):
        return ", ".join(obj.categories)

    @admin.display(description="reasons")
    def reasons_shown(self, obj):
        return _reasons_html(obj.reasons)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Strike)
class StrikeAdmin(admin.ModelAdmin):
    list_display = ("business", "signal", "active", "created_at", "explanation")
    list_filter = ("active", "signal")
    list_select_related = ("business",)
    search_fields = ("business__display_name",)
    readonly_fields = (
        "business",
        "signal",
        "explanation",
        "detail",
        "active",
        "cleared_by",
        "cleared_reason",
        "created_at",
    )
    actions = [
        _with_reason(
            label="Clear the strike",
            apply=lambda s, reason, request: services.strike_clear(
                strike=s, actor=request.user, reason=reason, ip=client_ip(request)
            ),
        )
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PolicyHold)
class PolicyHoldAdmin(admin.ModelAdmin):
    list_display = ("business", "active", "reason", "created_at", "released_at")
    list_filter = ("active",)
    readonly_fields = ("business", "reason", "active", "created_at", "released_at", "released_by")
    actions = [
        _with_reason(
            label="Release the hold",
            apply=lambda h, reason, request: services.hold_release(
                business=h.business,
                actor=request.user,
                reason=reason,
                ip=client_ip(request),
            ),
        )
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PolicyDecision)
class PolicyDecisionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "business", "gate", "decision", "category_list", "excerpt")
    list_filter = ("gate", "decision")
    list_select_related = ("business",)
    search_fields = ("excerpt", "business__display_name")
    readonly_fields = (
        "business",
        "gate",
        "decision",
        "categories",
        "reasons_shown",
        "excerpt",
        "kind",
        "from_number",
        "rules_version",
        "created_at",
    )
    exclude = ("reasons",)

    @admin.display(description="categories")
    def category_list(self, obj):
        return ", ".join(obj.categories)

    @admin.display(description="reasons")
    def reasons_shown(self, obj):
        return _reasons_html(obj.reasons)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from . import governance_admin  # noqa: E402, F401  (documents, penalties, restrictions)
