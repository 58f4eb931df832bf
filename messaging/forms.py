"""Portal forms of messaging. Validation of meaning (consent, policy, numbers) is the
services' job; forms check shape and show errors next to their fields."""

from django import forms

from accounts.events import catalog

from .models import KIND_CHOICES, Message
from .selectors import message_status_choices
from .services import MAX_BODY

KIND_HELP = (
    "Marketing needs written consent for offers; informational (reminders, updates) and "
    "transactional (receipts, codes) need the person's consent too; conversational is a "
    "reply to someone who texted you."
)


def _number_choices(numbers, automatic: bool = True):
    choices = [("", "Automatic (the usual line for this person)")] if automatic else []
    return choices + [(str(n.uuid), n.e164) for n in numbers]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (the compose page's pictures)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": "image/jpeg,image/png,image/gif,text/vcard,.vcf,.vcard"}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data if d]
        return [one(data, initial)] if data else []


class ComposeForm(forms.Form):
    to = forms.CharField(
        label="To",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
        help_text="A mobile number, e.g. +1 646 555 0123.",
    )
    contact = forms.UUIDField(required=False, widget=forms.HiddenInput)
    from_number = forms.ChoiceField(label="From", required=False)
    kind = forms.ChoiceField(label="Kind of message", choices=KIND_CHOICES, help_text=KIND_HELP)
    body = forms.CharField(
        label="Message",
        max_length=MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "data-segment-counter": "compose-counter"}),
        help_text="Say who you are and how to opt out, e.g. “Reply STOP to opt out”.",
    )
    attachments = MultipleFileField(
        label="Pictures or a contact card",
        required=False,
        help_text="JPEG, PNG, GIF or a vCard. Location and camera data are removed and large "
        "pictures made smaller before anything is sent.",
    )
    # files already stored by an earlier "Check before sending" (their uuids, in order)
    media_uuids = forms.CharField(required=False, widget=forms.HiddenInput)
    when = forms.ChoiceField(
        label="When",
        choices=[("now", "Send now"), ("later", "Schedule")],
        initial="now",
        widget=forms.RadioSelect,
    )
    send_at = forms.DateTimeField(
        label="Send at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    zone_basis = forms.ChoiceField(
        label="Time zone of that time",
        choices=[("recipient", "The recipient's"), ("business", "The business's")],
        initial="recipient",
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["from_number"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _number_choices(numbers)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("to") and not data.get("contact"):
            self.add_error("to", "Enter a phone number.")
        files = data.get("attachments") or data.get("media_uuids")
        if not (data.get("body") or "").strip() and not files:
            self.add_error("body", "Write the message, or add a picture.")
        if data.get("when") == "later" and not data.get("send_at"):
            self.add_error("send_at", "Choose when to send it.")
        return data


class MessageFilterForm(forms.Form):
    # the words the log shows ("waiting", "skipped"), not the stored names
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *message_status_choices()]
    )
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "Any kind"), *KIND_CHOICES]
    )
    direction = forms.ChoiceField(
        label="Direction",
        required=False,
        choices=[("", "Both directions"), *Message.Direction.choices],
    )
    q = forms.CharField(label="Phone", required=False, max_length=40)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class BroadcastForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=120, help_text="For you; recipients do not see it."
    )
    tags = forms.CharField(
        label="Send to contacts tagged",
        max_length=300,
        required=False,
        help_text="One or more tags, separated by commas: a contact needs every tag.",
    )
    segment = forms.ChoiceField(
        label="Or to a saved segment",
        required=False,
        help_text="Whoever matches when it starts (instead of tags).",
    )
    from_number = forms.ChoiceField(label="From")
    template = forms.ChoiceField(
        label="Start from a template",
        required=False,
        help_text="Its text and kind are used when the message below is left empty.",
    )
    kind = forms.ChoiceField(
        label="Kind of message", choices=KIND_CHOICES, initial="marketing", help_text=KIND_HELP
    )
    body = forms.CharField(
        label="Message",
        max_length=MAX_BODY,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "data-segment-counter": "broadcast-counter"}),
        help_text=(
            "Every recipient is checked for consent, suppression and content. Merge fields "
            'such as {{ first_name | default:"there" }} are filled in for each recipient.'
        ),
    )
    attachments = MultipleFileField(
        label="Pictures or a contact card",
        required=False,
        help_text="Every recipient gets them, as one MMS each (the campaign must be "
        "registered for MMS). Location data is removed, large pictures made smaller.",
    )
    send_at = forms.DateTimeField(
        label="Start at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="Optional, in the business's time zone. Empty: when you press Start.",
    )

    def __init__(self, *args, numbers=(), segments=(), templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["from_number"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _number_choices(numbers, automatic=False)
        self._templates = {str(t.uuid): t for t in templates}
        self._has_segments = bool(segments)
        segment_field = self.fields["segment"]
        assert isinstance(segment_field, forms.ChoiceField)
        segment_field.choices = [("", "—"), *((str(s.uuid), s.name) for s in segments)]
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ChoiceField)
        template_field.choices = [("", "—"), *((str(t.uuid), t.name) for t in templates)]

    def clean_tags(self):
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def clean(self):
        data = super().clean() or {}
        if not data.get("segment") and not data.get("tags") and "tags" not in self.errors:
            other = " Or choose a saved segment." if self._has_segments else ""
            self.add_error("tags", f"Give at least one tag.{other}")
        template = self._templates.get(data.get("template") or "")
        if not (data.get("body") or "").strip():
            if template is not None:
                data["body"], data["kind"] = template.body, template.kind
            elif not data.get("attachments"):  # a picture alone is a message (MMS)
                self.add_error("body", "Write the message or choose a template.")
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3, "data-segment-counter": "reply-counter"}),
    )


class AssignForm(forms.Form):
    member = forms.ChoiceField(label="Assigned to", required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Nobody")] + [
            (str(m.uuid), m.user.full_name or m.user.email) for m in members
        ]


class QuickReplyForm(forms.Form):
    title = forms.CharField(max_length=60, label="Name")
    body = forms.CharField(max_length=640, label="Text", widget=forms.Textarea(attrs={"rows": 2}))


DEFAULT_EVENTS = ["message.status", "message.inbound"]


def event_choices() -> list[tuple[str, str]]:
    """Every subscribable event type, with what it means (the catalog of accounts.events)."""
    return [(t.name, f"{t.name}: {t.summary}") for t in catalog.subscribable()]


class WebhookForm(forms.Form):
    url = forms.URLField(
        label="URL", max_length=500, assume_scheme="https", help_text="Where we POST events."
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=event_choices,
        widget=forms.CheckboxSelectMultiple,
        initial=DEFAULT_EVENTS,
        help_text="Each event is described, with its fields and an example, in the API "
        "document's webhooks section.",
    )
    description = forms.CharField(label="Description", max_length=200, required=False)


class WebhookEventsForm(forms.Form):
    """An endpoint's subscription."""

    events = forms.MultipleChoiceField(
        label="Events", choices=event_choices, widget=forms.CheckboxSelectMultiple
    )


class WebhookTestForm(forms.Form):
    event = forms.ChoiceField(
        label="Event",
        choices=lambda: [
            (catalog.TEST_EVENT.name, f"{catalog.TEST_EVENT.name} (a plain test)"),
            *event_choices(),
        ],
        required=False,
        help_text='Sends the event\'s documented example, marked "test": true.',
    )
