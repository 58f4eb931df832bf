from django import forms


class RuleForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120, help_text="e.g. “Two days before”")
    hours_before = forms.DecimalField(
        label="Hours before the appointment", min_value=0.25, max_value=720, decimal_places=2,
        help_text="Moved earlier if that falls in quiet hours where the client lives.",
    )  # fmt: skip
    template = forms.ChoiceField(label="Template")
    confirm_word = forms.CharField(label="Reply to confirm", max_length=20, initial="C")
    reschedule_word = forms.CharField(label="Reply to reschedule", max_length=20, initial="R")

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(str(t.uuid), t.name) for t in templates]


class AppointmentForm(forms.Form):
    phone = forms.CharField(label="Client's mobile number", max_length=40)
    name = forms.CharField(label="Client's name", max_length=200, required=False)
    starts_at = forms.DateTimeField(
        label="Starts at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text="In the business's time zone.",
    )
    title = forms.CharField(label="What", max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns phone, starts_at (e.g. 2026-12-08 15:00), and optionally name, "
        "title, location, external_id.",
    )


class FeedForm(forms.Form):
    feed_name = forms.CharField(label="Name", max_length=120, initial="Booking calendar")
    url = forms.CharField(
        label="iCalendar (.ics) address", max_length=1000,
        help_text="Your booking system's calendar feed; each event needs the client's phone "
        "(an attendee tel: or a phone number in the description).",
    )  # fmt: skip
