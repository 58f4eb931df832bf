"""REST API of appointment reminders: appointments (one, or a CSV), rules, feeds (thin)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api.base import ERROR_RESPONSES, TenantAPIView, TenantListAPIView, api_actor
from accounts.errors import ValidationFailed
from accounts.roles import Cap
from consent.selectors import contact_get
from messaging.templating.selectors import template_get

from . import selectors, services


class ReminderOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    rule = serializers.CharField(source="rule.name")
    send_at = serializers.DateTimeField()
    status = serializers.CharField()
    message = serializers.UUIDField(source="message.uuid", allow_null=True, default=None)
    note = serializers.CharField()


class AppointmentOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    contact = serializers.UUIDField(source="contact.uuid")
    phone = serializers.CharField(source="contact.phone_e164")
    starts_at = serializers.DateTimeField()
    title = serializers.CharField()
    location = serializers.CharField()
    status = serializers.CharField(
        help_text="BOOKED, CONFIRMED, RESCHEDULE_REQUESTED, CANCELED, COMPLETED, NO_SHOW"
    )
    source = serializers.CharField()  # type: ignore[assignment]  # a field named source
    external_id = serializers.CharField()
    confirmed_at = serializers.DateTimeField(allow_null=True)


class AppointmentDetailOut(AppointmentOut):
    reminders = serializers.SerializerMethodField()

    def get_reminders(self, appointment) -> list[dict]:
        reminders = selectors.appointment_reminders(appointment=appointment)
        return [dict(ReminderOut(r).data) for r in reminders]


class AppointmentIn(serializers.Serializer):
    to = serializers.CharField(required=False, help_text="The client's mobile number.")
    contact = serializers.UUIDField(required=False)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    starts_at = serializers.DateTimeField(help_text="With its offset (ISO 8601).")
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    external_id = serializers.CharField(
        required=False, allow_blank=True, max_length=255,
        help_text="Your booking system's id: sending it again updates (moves) the appointment.",
    )  # fmt: skip

    def validate(self, attrs):
        if not attrs.get("to") and not attrs.get("contact"):
            raise serializers.ValidationError({"to": ["Give `to` or `contact`."]})
        return attrs


class AppointmentListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.SEND
    serializer_class = AppointmentOut

    def get_queryset(self):
        return selectors.appointment_list(business=self.business)

    @extend_schema(
        operation_id="appointments_list",
        responses={200: AppointmentOut(many=True), **ERROR_RESPONSES},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="appointments_create",
        description="An appointment and its reminders (one per active rule). With a known "
        "`external_id` the existing appointment is updated and answered with 200.",
        request=AppointmentIn,
        responses={201: AppointmentDetailOut, 200: AppointmentDetailOut, **ERROR_RESPONSES},
    )
    def post(self, request):
        data = AppointmentIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        contact = None
        if values.get("contact"):
            contact = contact_get(business=self.business, contact_uuid=values["contact"])
        appointment, created = services.appointment_create(
            business=self.business, starts_at=values["starts_at"], contact=contact,
            phone=values.get("to", ""), name=values.get("name", ""),
            title=values.get("title", ""), location=values.get("location", ""),
            external_id=values.get("external_id", ""), actor=api_actor(request),
        )  # fmt: skip
        return Response(AppointmentDetailOut(appointment).data, status=201 if created else 200)


class AppointmentPatchIn(serializers.Serializer):
    starts_at = serializers.DateTimeField(required=False)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.ChoiceField(
        choices=["CANCELED", "COMPLETED", "NO_SHOW"], required=False,
        help_text="Cancel (its pending reminders too), or mark after the time.",
    )  # fmt: skip


class AppointmentDetailApi(TenantAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    @extend_schema(
        operation_id="appointments_get", responses={200: AppointmentDetailOut, **ERROR_RESPONSES}
    )
    def get(self, request, appointment_uuid):
        appointment = selectors.appointment_get(
            business=self.business, appointment_uuid=appointment_uuid
        )
        return Response(AppointmentDetailOut(appointment).data)

    @extend_schema(
        operation_id="appointments_update",
        description="Move (a new `starts_at` moves its pending reminders), rename, cancel or mark.",
        request=AppointmentPatchIn,
        responses={200: AppointmentDetailOut, **ERROR_RESPONSES},
    )
    def patch(self, request, appointment_uuid):
        appointment = selectors.appointment_get(
            business=self.business, appointment_uuid=appointment_uuid
        )
        data = AppointmentPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        status = values.pop("status", None)
        if values:
            appointment = services.appointment_update(
                appointment=appointment, actor=api_actor(request), **values
            )
        if status == "CANCELED":
            appointment = services.appointment_cancel(
                appointment=appointment, actor=api_actor(request)
            )
        elif status:
            appointment = services.appointment_mark(
                appointment=appointment, status=status, actor=api_actor(request)
            )
        return Response(AppointmentDetailOut(appointment).data)


class AppointmentImportOut(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.ListField(child=serializers.DictField())


class AppointmentImportApi(TenantAPIView):
    """A CSV of appointments: phone, starts_at[, name, title, location, external_id]."""

    required_cap = Cap.SEND
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        operation_id="appointments_import",
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={200: AppointmentImportOut, **ERROR_RESPONSES},
    )
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed(fields={"file": ["Upload a CSV file."]})
        report = services.appointments_import_csv(
            business=self.business, content=upload.read(), actor=api_actor(request)
        )
        return Response(report)


class RuleOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    minutes_before = serializers.IntegerField()
    template = serializers.UUIDField(source="template.uuid")
    confirm_word = serializers.CharField()
    reschedule_word = serializers.CharField()
    is_active = serializers.BooleanField()


class RuleIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    minutes_before = serializers.IntegerField(help_text="e.g. 2880 for 48 hours, 120 for 2 hours")
    template = serializers.UUIDField()
    confirm_word = serializers.CharField(max_length=20, default="C")
    reschedule_word = serializers.CharField(max_length=20, default="R")


class RuleListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CAMPAIGNS
    serializer_class = RuleOut

    def get_queryset(self):
        return selectors.reminder_rule_list(business=self.business)

    @extend_schema(
        operation_id="reminder_rules_list", responses={200: RuleOut(many=True), **ERROR_RESPONSES}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="reminder_rules_create",
        request=RuleIn,
        responses={201: RuleOut, **ERROR_RESPONSES},
    )
    def post(self, request):
        data = RuleIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["template"] = template_get(business=self.business, template_uuid=values["template"])
        rule = services.reminder_rule_create(
            business=self.business, actor=api_actor(request), **values
        )
        return Response(RuleOut(rule).data, status=201)


class RuleDetailApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(operation_id="reminder_rules_delete", responses={204: None, **ERROR_RESPONSES})
    def delete(self, request, rule_uuid):
        rule = selectors.reminder_rule_get(business=self.business, rule_uuid=rule_uuid)
        services.reminder_rule_delete(rule=rule, actor=api_actor(request))
        return Response(status=204)


class FeedOut(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField()
    is_active = serializers.BooleanField()
    last_polled_at = serializers.DateTimeField(allow_null=True)
    last_result = serializers.CharField()


class FeedIn(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, default="Calendar")
    url = serializers.CharField(max_length=1000)


class FeedListApi(TenantListAPIView):
    required_cap = Cap.VIEW
    write_cap = Cap.MANAGE_CAMPAIGNS
    serializer_class = FeedOut

    def get_queryset(self):
        return selectors.calendar_feed_list(business=self.business)

    @extend_schema(
        operation_id="calendar_feeds_list", responses={200: FeedOut(many=True), **ERROR_RESPONSES}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="calendar_feeds_create",
        request=FeedIn,
        responses={201: FeedOut, **ERROR_RESPONSES},
    )
    def post(self, request):
        data = FeedIn(data=request.data)
        data.is_valid(raise_exception=True)
        feed = services.calendar_feed_create(
            business=self.business, actor=api_actor(request), **data.validated_data
        )
        return Response(FeedOut(feed).data, status=201)


class FeedDetailApi(TenantAPIView):
    required_cap = Cap.MANAGE_CAMPAIGNS

    @extend_schema(operation_id="calendar_feeds_delete", responses={204: None, **ERROR_RESPONSES})
    def delete(self, request, feed_uuid):
        feed = selectors.calendar_feed_get(business=self.business, feed_uuid=feed_uuid)
        services.calendar_feed_delete(feed=feed, actor=api_actor(request))
        return Response(status=204)
