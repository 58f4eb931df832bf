"""The conversations inbox: threads, replies, assignment, quick replies."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.errors import ApplicationError
from accounts.roles import Cap
from accounts.tenancy import TenantMixin
from accounts.text import sentences

from .. import selectors, services
from ..forms import (
    AssignForm,
    QuickReplyForm,
    ReplyForm,
)
from ..models import Message
from .common import PAGE, _outcome_sentence


class InboxView(TenantMixin, TemplateView):
    template_name = "messaging/inbox.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assigned = self.request.GET.get("assigned", "")
        if assigned not in ("", "me", "none"):
            assigned = ""
        threads = selectors.inbox_threads(
            business=self.business, assigned=assigned, user=self.request.user
        )
        page = Paginator(threads, PAGE).get_page(self.request.GET.get("page"))
        context.update(page=page, assigned=assigned)
        return context


def _contact_or_404(business, contact_uuid):
    from consent.selectors import contact_get

    return contact_get(business=business, contact_uuid=contact_uuid)


class ThreadView(TenantMixin, TemplateView):
    template_name = "messaging/thread.html"
    required_cap = Cap.VIEW

    def get_context_data(self, **kwargs):
        from accounts.selectors import membership_list

        context = super().get_context_data(**kwargs)
        contact = _contact_or_404(self.business, self.kwargs["contact_uuid"])
        conversation = selectors.conversation_for(business=self.business, contact=contact)
        members = list(membership_list(business=self.business))
        assigned_uuid = ""
        if conversation is not None and conversation.assigned_to_id:
            assigned_uuid = next(
                (str(m.uuid) for m in members if m.user_id == conversation.assigned_to_id), ""
            )
        context.update(
            contact=contact,
            thread=selectors.thread_messages(business=self.business, contact=contact),
            conversation=conversation,
            consent=selectors.consent_summary(business=self.business, contact=contact),
            reply_form=kwargs.get("reply_form") or ReplyForm(),
            assign_form=AssignForm(initial={"member": assigned_uuid}, members=members),
            quick_replies=selectors.quick_reply_list(business=self.business),
            quick_form=QuickReplyForm(prefix="qr"),
        )
        return context

    def get(self, request, *args, **kwargs):
        # TemplateView.get, with the thread marked read once its context is built (the
        # response renders lazily, after this returns, as before).
        context = self.get_context_data(**kwargs)
        services.conversation_mark_read(business=self.business, contact=context["contact"])
        return self.render_to_response(context)


class ThreadReplyView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, contact_uuid):
        contact = _contact_or_404(self.business, contact_uuid)
        form = ReplyForm(request.POST)
        url = reverse("messaging:thread", kwargs={"contact_uuid": contact.uuid})
        if not form.is_valid():
            messages.error(request, "Write a reply first (at most 1600 characters).")
            return redirect(url)
        last_inbound = (
            Message.objects.filter(
                business=self.business, contact=contact, direction=Message.Direction.INBOUND
            )
            .order_by("-created_at", "-id")
            .first()
        )
        try:
            message = services.message_enqueue(
                business=self.business,
                body=form.cleaned_data["body"],
                kind="conversational",
                contact=contact,
                reply_to=last_inbound,
                channel="inbox",
                actor=request.user,
            )
        except ApplicationError as exc:
            messages.error(
                request,
                sentences([exc.message, *(e for errors in exc.fields.values() for e in errors)]),
            )
            return redirect(url)
        level, sentence = _outcome_sentence(message)
        getattr(messages, level)(request, sentence)
        services.conversation_mark_read(business=self.business, contact=contact)
        return redirect(url)


class ThreadAssignView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, contact_uuid):
        contact = _contact_or_404(self.business, contact_uuid)
        try:
            conversation = services.conversation_assign(
                business=self.business,
                contact=contact,
                member_uuid=request.POST.get("member") or None,
                actor=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, sentences(exc.fields.get("member", [exc.message])))
        else:
            who = conversation.assigned_to
            messages.success(
                request,
                f"Assigned to {who.full_name or who.email}." if who else "Nobody is assigned now.",
            )
        return redirect("messaging:thread", contact_uuid=contact.uuid)


class QuickReplyCreateView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request):
        form = QuickReplyForm(request.POST, prefix="qr")
        back = request.POST.get("next", "")
        if not back.startswith("/app/"):
            back = reverse("messaging:inbox")
        if not form.is_valid():
            messages.error(request, "A quick reply needs a name and a text (640 characters max).")
            return redirect(back)
        try:
            services.quick_reply_create(
                business=self.business, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Quick reply saved.")
        return redirect(back)


class QuickReplyDeleteView(TenantMixin, View):
    required_cap = Cap.SEND

    def post(self, request, reply_uuid):
        reply = selectors.quick_reply_get(business=self.business, reply_uuid=reply_uuid)
        services.quick_reply_delete(reply=reply, actor=request.user)
        messages.success(request, "Quick reply removed.")
        back = request.POST.get("next", "")
        return redirect(back if back.startswith("/app/") else reverse("messaging:inbox"))


# --- webhooks -------------------------------------------------------------------------------------
