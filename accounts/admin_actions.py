"""The admin's "action with a reason": staff give a reason on an intermediate page, then it
is applied to each selected object through a service (so it is recorded and audited). The
apps' admins (businesses' vetting, campaigns' states) build their actions from it."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from .client_ip import client_ip
from .errors import ApplicationError


class ReasonForm(forms.Form):
    _selected_action = forms.CharField(widget=forms.MultipleHiddenInput)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False)


def reason_action(
    *,
    label: str,
    name: str,
    apply: Callable[..., Any],
    noun: str,
    reason_required: bool = True,
):
    """An admin action named ``name`` that asks for a reason, then calls
    ``apply(obj, reason=..., actor=..., ip=...)`` on each selected object; an
    ``ApplicationError`` is reported for its object, the others go on. ``noun`` counts what
    was done ("business(es)")."""

    def action(modeladmin, request, queryset):
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid() and (form.cleaned_data["reason"].strip() or not reason_required):
                done = 0
                for obj in queryset:
                    try:
                        apply(
                            obj,
                            reason=form.cleaned_data["reason"],
                            actor=request.user,
                            ip=client_ip(request),
                        )
                        done += 1
                    except ApplicationError as exc:
                        modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
                if done:
                    modeladmin.message_user(request, f"{label}: {done} {noun}.", messages.SUCCESS)
                return None
            messages.error(request, "A reason is required.")
        else:
            form = ReasonForm(initial={"_selected_action": queryset.values_list("pk", flat=True)})
        return TemplateResponse(
            request,
            "admin/accounts/reason_action.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": f"{label}: give a reason",
                "objects": queryset,
                "form": form,
                "action": request.POST.get("action"),
                "opts": modeladmin.model._meta,
                "reason_required": reason_required,
            },
        )

    action.__name__ = name
    return admin.action(description=label)(action)
