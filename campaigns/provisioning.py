"""Numbers at the provider: search by area code, buy (with the inbound webhook set), join
and leave a campaign's messaging service, look up a number bought elsewhere, release.

Two back ends, chosen by ``MESSAGING_PROVIDER`` (the provider that sends also owns the
numbers):
- ``simulated`` — the simulated carrier's number API (GET /v1/numbers/available?area_code=
  &limit=, POST /v1/numbers {"number"} → 201 / 409, DELETE /v1/numbers/<e164>); it has no
  messaging services and routes inbound texts by number, so joining one is a no-op;
- ``twilio`` — through the official ``twilio`` package (AvailablePhoneNumbers,
  IncomingPhoneNumbers, Messaging Services' PhoneNumbers), with ``TWILIO_API_BASE_URL``
  pointing every Twilio domain at another server (tests run a local stand-in).

Errors: ``ProviderError`` — unreachable or failing (5xx, time-out): try again later;
``ProviderRefused`` — the provider said no to this request (a Twilio 4xx), with its code and
the input field it is about, so the portal and the API show it next to that field;
``NumberTaken`` — someone else has the number.
"""

import json
from typing import Protocol
from urllib.parse import quote

import requests
from django.conf import settings
from django.urls import reverse

TIMEOUT_SECONDS = 10


class ProviderError(Exception):
    """The provider failed or did not answer."""


class ProviderRefused(ProviderError):
    """The provider refused the request (its code and message), about one input field."""

    def __init__(self, message: str, *, code: str = "", field: str = "number") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class NumberTaken(ProviderError):
    """Someone else has the number."""


class NumberProvider(Protocol):
    name: str

    def available(self, *, area_code: str, limit: int) -> list[str]: ...

    def buy(self, *, e164: str) -> dict: ...

    def lookup(self, *, e164: str) -> dict: ...

    def set_webhook(self, *, provider_id: str) -> None: ...

    def service_for(self, *, name: str, current: str) -> str: ...

    def attach(self, *, provider_id: str, service: str) -> None: ...

    def detach(self, *, provider_id: str, service: str) -> None: ...

    def release(self, *, provider_id: str, e164: str) -> None: ...


def inbound_webhook_url() -> str:
    """Where the provider posts a client's texts (messaging's Twilio inbound webhook)."""
    return f"{settings.MESSAGING_WEBHOOK_BASE_URL}{reverse('messaging:webhook-twilio-inbound')}"


def status_webhook_url() -> str:
    return f"{settings.MESSAGING_WEBHOOK_BASE_URL}{reverse('messaging:webhook-twilio-status')}"


# --- the simulated carrier ----------------------------------------------------------------
class SimulatedNumbers:
    name = "simulated"

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        base = getattr(settings, "CARRIER_URL", "http://127.0.0.1:8025").rstrip("/")
        try:
            return requests.request(method, f"{base}{path}", timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.RequestException as exc:
            raise ProviderError(exc.__class__.__name__) from None

    def available(self, *, area_code: str, limit: int) -> list[str]:
        response = self._call(
            "GET", "/v1/numbers/available", params={"area_code": area_code, "limit": limit}
        )
        if response.status_code != 200:
            raise ProviderError(f"HTTP {response.status_code}")
        return [str(n) for n in response.json().get("numbers", [])]

    def buy(self, *, e164: str) -> dict:
        response = self._call("POST", "/v1/numbers", json={"number": e164})
        if response.status_code == 409:
            raise NumberTaken(e164)
        if response.status_code not in (200, 201):
            raise ProviderError(f"HTTP {response.status_code}")
        return response.json()

    def lookup(self, *, e164: str) -> dict:
        # The simulated carrier keeps no account of numbers bought elsewhere: any US number
        # is taken as it is (it routes inbound texts by number).
        return {"id": "", "capabilities": ["sms", "mms"]}

    def set_webhook(self, *, provider_id: str) -> None:
        return None  # the carrier posts to its --webhook-base for every number

    def service_for(self, *, name: str, current: str) -> str:
        return current

    def attach(self, *, provider_id: str, service: str) -> None:
        return None

    def detach(self, *, provider_id: str, service: str) -> None:
        return None

    def release(self, *, provider_id: str, e164: str) -> None:
        response = self._call("DELETE", f"/v1/numbers/{quote(e164)}")
        # 404: the provider no longer has it, which is what releasing wants.
        if response.status_code not in (200, 204, 404):
            raise ProviderError(f"HTTP {response.status_code}")


# --- Twilio ---------------------------------------------------------------------------------
# Twilio's codes for requests it refuses, and the input field each one is about.
TWILIO_FIELDS = {
    "21422": "number",  # PhoneNumber requested is not available
    "21421": "number",  # PhoneNumber is invalid
    "21452": "area_code",  # No phone numbers found in that area code
    "21451": "area_code",  # Invalid area code
    "21710": "campaign",  # already in the messaging service
    "21712": "campaign",  # in another messaging service
    "20404": "number",  # not found in this account
}


def _page_error(exc: Exception) -> tuple[int, str, str] | None:
    """(status, code, message) of the response a failed page carries, if it has one."""
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return None
    try:
        body = json.loads(response.text)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        body = {}
    body = body if isinstance(body, dict) else {}
    return status, str(body.get("code") or ""), str(body.get("message") or f"HTTP {status}")


class TwilioNumbers:
    name = "twilio"

    def __init__(self) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=TIMEOUT_SECONDS),
        )
        if settings.TWILIO_API_BASE_URL:
            base = settings.TWILIO_API_BASE_URL.rstrip("/")
            client.api.base_url = base
            client.messaging.base_url = base
        self.client = client

    def _do(self, call, *, field: str = "number", missing_ok: bool = False):
        """Run one Twilio call; its refusals become ``ProviderRefused`` about ``field``, its
        failures ``ProviderError``; a 404 is None when ``missing_ok`` (already gone)."""
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            return call()
        except TwilioRestException as exc:
            answer: tuple[int, str, str] = (exc.status, str(exc.code or ""), exc.msg)
        except TwilioException as exc:
            # a list's page that failed: the library raises the bare exception with the
            # response beside the text
            page = _page_error(exc)
            if page is None:
                raise ProviderError(exc.__class__.__name__) from None
            answer = page
        except (requests.RequestException, OSError) as exc:
            raise ProviderError(exc.__class__.__name__) from None
        status, code, text = answer
        if missing_ok and status == 404:
            return None
        if status >= 500 or status == 429:
            raise ProviderError(f"Twilio answered {status}")
        raise ProviderRefused(
            f"Twilio: {text}" + (f" (error {code})" if code else ""),
            code=code,
            field=TWILIO_FIELDS.get(code, field),
        )

    def available(self, *, area_code: str, limit: int) -> list[str]:
        found = self._do(
            lambda: self.client.available_phone_numbers("US").local.list(
                area_code=int(area_code), sms_enabled=True, limit=limit
            ),
            field="area_code",
        )
        return [n.phone_number for n in found if n.phone_number]

    @staticmethod
    def _capabilities(value) -> list[str]:
        value = value or {}
        return [k for k in ("sms", "mms", "voice") if value.get(k) or value.get(k.upper())]

    def buy(self, *, e164: str) -> dict:
        number = self._do(
            lambda: self.client.incoming_phone_numbers.create(
                phone_number=e164, sms_url=inbound_webhook_url(), sms_method="POST"
            )
        )
        return {"id": number.sid, "capabilities": self._capabilities(number.capabilities)}

    def lookup(self, *, e164: str) -> dict:
        found = self._do(lambda: self.client.incoming_phone_numbers.list(phone_number=e164))
        if not found:
            raise ProviderRefused(
                "Twilio: this account has no such number; buy it or port it in first.",
                code="20404",
            )
        return {"id": found[0].sid, "capabilities": self._capabilities(found[0].capabilities)}

    def set_webhook(self, *, provider_id: str) -> None:
        self._do(
            lambda: self.client.incoming_phone_numbers(provider_id).update(
                sms_url=inbound_webhook_url(), sms_method="POST"
            )
        )

    def service_for(self, *, name: str, current: str) -> str:
        """The campaign's messaging service: the one it has, or a new one whose inbound
        webhook and status callback are ours."""
        if current:
            return current
        service = self._do(
            lambda: self.client.messaging.v1.services.create(
                friendly_name=name[:64],
                inbound_request_url=inbound_webhook_url(),
                inbound_method="POST",
                status_callback=status_webhook_url(),
            ),
            field="campaign",
        )
        return service.sid

    def attach(self, *, provider_id: str, service: str) -> None:
        self._do(
            lambda: self.client.messaging.v1.services(service).phone_numbers.create(
                phone_number_sid=provider_id
            ),
            field="campaign",
        )

    def detach(self, *, provider_id: str, service: str) -> None:
        # 404: not in the service, which is what leaving wants
        self._do(
            lambda: self.client.messaging.v1.services(service).phone_numbers(provider_id).delete(),
            field="campaign",
            missing_ok=True,
        )

    def release(self, *, provider_id: str, e164: str) -> None:
        # 404: Twilio no longer has it, which is what releasing wants
        self._do(lambda: self.client.incoming_phone_numbers(provider_id).delete(), missing_ok=True)


def get_numbers(name: str | None = None) -> NumberProvider:
    """The number back end of ``name`` (a number's own provider), or of the provider that
    sends (``MESSAGING_PROVIDER``)."""
    name = name or settings.MESSAGING_PROVIDER
    if name == "twilio":
        return TwilioNumbers()
    return SimulatedNumbers()
