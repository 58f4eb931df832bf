"""Number search, rental and release at the provider (the simulated carrier's number API).

Endpoints (contracts.md): GET /v1/numbers/available?area_code=NNN&limit=N,
POST /v1/numbers {"number"} -> 201 {"number", "id"} (409 if taken), DELETE /v1/numbers/<e164>.
"""

from urllib.parse import quote

import requests
from django.conf import settings

PROVIDER = "simulated"
TIMEOUT_SECONDS = 10


class ProviderError(Exception):
    """The provider failed or did not answer."""


class NumberTaken(ProviderError):
    """Someone else has the number."""


def _url(path: str) -> str:
    base = getattr(settings, "CARRIER_URL", "http://127.0.0.1:8025").rstrip("/")
    return f"{base}{path}"


def _call(method: str, path: str, **kwargs) -> requests.Response:
    try:
        return requests.request(method, _url(path), timeout=TIMEOUT_SECONDS, **kwargs)
    except requests.RequestException as exc:
        raise ProviderError(exc.__class__.__name__) from None


def numbers_available(*, area_code: str, limit: int = 10) -> list[str]:
    response = _call(
        "GET", "/v1/numbers/available", params={"area_code": area_code, "limit": limit}
    )
    if response.status_code != 200:
        raise ProviderError(f"HTTP {response.status_code}")
    return [str(n) for n in response.json().get("numbers", [])]


def number_provision(*, e164: str) -> dict:
    response = _call("POST", "/v1/numbers", json={"number": e164})
    if response.status_code == 409:
        raise NumberTaken(e164)
    if response.status_code not in (200, 201):
        raise ProviderError(f"HTTP {response.status_code}")
    return response.json()


def number_release(*, e164: str) -> None:
    response = _call("DELETE", f"/v1/numbers/{quote(e164)}")
    # 404: the provider no longer has it, which is what releasing wants.
    if response.status_code not in (200, 204, 404):
        raise ProviderError(f"HTTP {response.status_code}")
