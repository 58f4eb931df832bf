"""The registry's status webhook: public, authenticated by its HMAC signature only."""

from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounts.errors import ApplicationError

from . import services
from .registrars.tcr import SIGNATURE_HEADER, TIMESTAMP_HEADER


@method_decorator(csrf_exempt, name="dispatch")  # a server-to-server call, signed instead
class RegistryWebhookView(View):
    http_method_names = ["post"]

    def post(self, request):
        try:
            result = services.registry_webhook_handle(
                body=request.body,
                timestamp=request.headers.get(TIMESTAMP_HEADER, ""),
                signature=request.headers.get(SIGNATURE_HEADER, ""),
            )
        except ApplicationError as exc:
            body = {"error": {"code": exc.code, "message": exc.message, "fields": {}, "detail": {}}}
            return JsonResponse(body, status=exc.status_code)
        return JsonResponse(result)
