"""The public opt-in form, embedded on a business's own site (interface layer).

Three ways to embed, one server-rendered form (so the evidence holds the form as shown):
an iframe of ``/f/<uuid>/``, a small script (``static/js/consent.js``) that fetches the form
from ``/f/<uuid>/config.json`` (CORS) and posts JSON, or a plain HTML form posting here.

Framing: ``Content-Security-Policy: frame-ancestors`` lists the form's allowed origins (the
site-wide X-Frame-Options does not apply to these views). Anti-forgery without cookies (a
framed or cross-site POST cannot rely on Django's CSRF cookie): the Origin (or Referer) must
be ours or an allowed origin, and iframe/script posts carry a signed, short-lived,
single-use token bound to the form and to the rendering shown. Then a honeypot field,
per-IP and per-phone rate limits, and double opt-in.
"""

import contextlib
import json
import logging
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from accounts.api.chain import lean_chain
from accounts.client_ip import client_ip
from accounts.errors import ApplicationError, NotFound, RateLimited, ValidationFailed
from messaging.tasks import optin_form_reply_yes

from . import disclosure, ratelimit, selectors, services
from .errors import FormRefused
from .models import EventKind

logger = logging.getLogger(__name__)
TOKEN_SALT = "consent.optin-form"  # noqa: S105 - a signing namespace, not a secret
HONEYPOT = "website"


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""  # raises for "host:abc", "host:99999"
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def own_origin(request) -> str:
    return _origin_of(request.build_absolute_uri("/"))


def request_origin(request) -> str:
    return _origin_of(request.headers.get("Origin", "")) or _origin_of(
        request.headers.get("Referer", "")
    )


def frame_policy(form, nonce: str = "") -> str:
    """The page's whole CSP (the site-wide middleware leaves a view's own policy alone)."""
    ancestors = " ".join(["'self'", *form.allowed_origins])
    inline = f"'nonce-{nonce}'" if nonce else "'none'"
    return (
        f"default-src 'none'; style-src {inline}; script-src {inline}; form-action 'self'; "
        f"base-uri 'none'; frame-ancestors {ancestors}"
    )


def _page(template: str, context: dict, request, *, form, status: int = 200) -> HttpResponse:
    nonce = secrets.token_urlsafe(16)
    response = HttpResponse(
        render_to_string(template, {**context, "form": form, "nonce": nonce}, request=request),
        status=status,
    )
    response["Content-Security-Policy"] = frame_policy(form, nonce)
    response["Cache-Control"] = "no-store"
    return response


def render_fragment(request, form, *, token: str = "", errors=None, values=None) -> str:
    """The form as every embedding shows it. Without token, errors and values it is the
    snapshot kept as evidence of what the person saw."""
    text = disclosure.for_form(form)
    return render_to_string(
        "consent/_optin_form.html",
        {
            "form": form,
            "disclosure": text,
            "submit_url": request.build_absolute_uri(
                reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
            ),
            "honeypot": HONEYPOT,
            "token": token,
            "errors": errors or {},
            "values": values or {},
        },
    )


def issue_token(form, snapshot: str, embed_origin: str) -> str:
    return signing.dumps(
        {"f": str(form.uuid), "s": snapshot, "o": embed_origin, "n": secrets.token_urlsafe(12)},
        salt=TOKEN_SALT,
    )


def check_token(form, token: str) -> dict:
    """The token's signature, age and form; its single use is ``use_token_and_limits``'."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=settings.CONSENT_FORM_TOKEN_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise FormRefused("This form has expired: reload the page and try again.") from exc
    except signing.BadSignature as exc:
        raise FormRefused("This form could not be verified: reload the page.") from exc
    if data.get("f") != str(form.uuid):
        raise FormRefused("This form could not be verified: reload the page.")
    return data


def use_token_and_limits(token_data: dict, limits: list[tuple[str, str]]) -> None:
    """The token's single use (a replayed token is refused, nothing counted), then the rate
    limits in turn: one Redis round trip."""
    once = None
    if "n" in token_data:  # the plain HTML form on an allowed site carries none
        once = (f"consent:form-token:{token_data['n']}", settings.CONSENT_FORM_TOKEN_MAX_AGE)
    refused = ratelimit.use_and_hit_all(once, limits)
    if refused == ratelimit.USED:
        raise FormRefused("This form was already sent: reload the page to send it again.")
    if refused:
        raise RateLimited()


def _cors(response, origin: str, form) -> HttpResponse:
    if origin and origin in form.allowed_origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    return response


def _error_json(exc: ApplicationError) -> dict:
    return {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "fields": exc.fields,
            "detail": exc.detail,
        }
    }


@method_decorator(xframe_options_exempt, name="dispatch")
class PublicFormView(View):
    """GET /f/<uuid>/: the form page, for the iframe or a direct link."""

    def get(self, request, form_uuid):
        try:
            form = selectors.optin_form_public(form_uuid=form_uuid)
        except NotFound:
            return HttpResponse("Form not found.", status=404, content_type="text/plain")
        embedder = _origin_of(request.headers.get("Referer", ""))
        if embedder and embedder != own_origin(request) and embedder not in form.allowed_origins:
            return _page("consent/public_refused.html", {}, request, form=form, status=403)
        return self.render(request, form, embed_origin=embedder)

    @staticmethod
    def render(request, form, *, embed_origin: str, errors=None, values=None, status=200):
        snapshot = services.form_snapshot_store(
            business=form.business, html=render_fragment(request, form)
        )
        fragment = render_fragment(
            request,
            form,
            token=issue_token(form, snapshot, embed_origin),
            errors=errors,
            values=values,
        )
        return _page(
            "consent/public_form.html", {"fragment": fragment}, request, form=form, status=status
        )


class PublicFormConfigView(View):
    """GET /f/<uuid>/config.json: the form and a token for the embed script (CORS)."""

    def options(self, request, form_uuid):
        try:
            form = selectors.optin_form_public(form_uuid=form_uuid)
        except NotFound as exc:
            return JsonResponse(_error_json(exc), status=404)
        return _cors(HttpResponse(status=204), request_origin(request), form)

    def get(self, request, form_uuid):
        try:
            form = selectors.optin_form_public(form_uuid=form_uuid)
        except NotFound as exc:
            return JsonResponse(_error_json(exc), status=404)
        origin = request.headers.get("Origin", "")
        if origin and origin not in form.allowed_origins and origin != own_origin(request):
            return JsonResponse(
                _error_json(FormRefused("This form may not be embedded on this site.")),
                status=403,
            )
        fragment = render_fragment(request, form)
        snapshot = services.form_snapshot_store(business=form.business, html=fragment)
        response = JsonResponse(
            {
                "html": fragment,
                "token": issue_token(form, snapshot, _origin_of(origin)),
                "submit_url": request.build_absolute_uri(
                    reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
                ),
            }
        )
        response["Cache-Control"] = "no-store"
        return _cors(response, origin, form)


@method_decorator(csrf_exempt, name="dispatch")  # own anti-forgery: see the module docstring
@method_decorator(xframe_options_exempt, name="dispatch")
# anonymous, no cookie read: the middleware it needs only (accounts.api.chain)
@method_decorator(lean_chain, name="dispatch")
class PublicFormSubmitView(View):
    """POST /f/<uuid>/submit/: form-encoded (iframe, plain HTML) or JSON (script)."""

    def options(self, request, form_uuid):
        try:
            form = selectors.optin_form_public(form_uuid=form_uuid)
        except NotFound as exc:
            return JsonResponse(_error_json(exc), status=404)
        return _cors(HttpResponse(status=204), request_origin(request), form)

    def get(self, request, form_uuid):
        return HttpResponse(status=405, headers={"Allow": "POST, OPTIONS"})

    def post(self, request: HttpRequest, form_uuid: str) -> HttpResponse:
        is_json = request.content_type == "application/json"
        try:
            form = selectors.optin_form_public(form_uuid=form_uuid)
        except NotFound as exc:
            return JsonResponse(_error_json(exc), status=404)
        origin = request_origin(request)
        if is_json:
            try:
                data = json.loads(request.body or b"{}")
                if not isinstance(data, dict):
                    raise ValueError
            except ValueError:
                data = None
        else:
            data = request.POST
        token_data: dict = {}
        given = {k: (data or {}).get(k) for k in ("phone", "name", "email", "page_url", HONEYPOT)}
        # names, emails and addresses are text (a number is fine as a phone); never an object
        not_text = [
            k
            for k, v in given.items()
            if v is not None and (isinstance(v, bool) or not isinstance(v, str | int))
        ]
        values = {k: ("" if k in not_text else str(v or ""))[:300] for k, v in given.items()}
        try:
            if data is None:
                raise ValidationFailed("The request body is not a JSON object.")
            if not_text:
                raise ValidationFailed(
                    "Please correct the marked fields.",
                    fields={k: ["Must be text."] for k in not_text},
                )
            token_data = self.verify_origin(request, form, origin, data, is_json)
            if values[HONEYPOT]:
                # a bot filled the hidden field: answer like a success, record nothing
                use_token_and_limits(token_data, [])
                logger.info("honeypot hit on form %s from %s", form.uuid, client_ip(request))
                return self.success(request, form, is_json, origin, status="pending")
            phone_key = values["phone"].strip()
            with contextlib.suppress(ApplicationError):  # bad numbers: reported by the service
                phone_key = services.phone_hash(
                    business=form.business, e164=services.phone_normalize(phone_key)
                )
            # the token's single use, then per IP, then per phone (the phone not counted
            # when the IP is refused): one round trip
            limits = [(f"ip:{client_ip(request)}", settings.CONSENT_FORM_RATE_PER_IP)]
            if phone_key:
                limits.append((f"phone:{phone_key}", settings.CONSENT_FORM_RATE_PER_PHONE))
            use_token_and_limits(token_data, limits)
            _, events = services.optin_form_submit(
                form=form,
                phone=values["phone"],
                name=values["name"] if form.collect_name else "",
                email=values["email"] if form.collect_email else "",
                consent=_truthy((data or {}).get("consent")),
                age_confirmed=_truthy((data or {}).get("age_confirmed")),
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", "")[:500],
                page_url=self.page_url(form, values["page_url"], token_data, origin, request),
                snapshot_sha256=token_data.get("s", ""),
            )
        except ApplicationError as exc:
            embedder = token_data.get("o") or origin
            return self.failure(request, form, is_json, origin, exc, values, embedder)
        pending = [e for e in events if e.kind == EventKind.OPT_IN]
        if any(e.was_created for e in pending):
            reply_yes_queue(pending[0])
        return self.success(
            request, form, is_json, origin, status="pending" if pending else "confirmed"
        )

    @staticmethod
    def verify_origin(request, form, origin: str, data, is_json: bool) -> dict:
        ours = own_origin(request)
        if not origin:
            raise FormRefused("This form can only be sent from a web page.")
        if origin != ours and origin not in form.allowed_origins:
            raise FormRefused("This form may not be sent from this site.")
        token = str(data.get("token", "") or "")
        if origin == ours or is_json or token:
            # our own page (the iframe) and the script always carry a token
            return check_token(form, token)
        return {"o": origin}  # the plain HTML form on an allowed site

    @staticmethod
    def page_url(form, posted: str, token_data: dict, origin: str, request) -> str:
        # the embedding page; our own URL (a re-shown iframe form) says nothing about it
        if posted and _origin_of(posted) in form.allowed_origins:
            return posted[:1000]
        return token_data.get("o") or origin

    @staticmethod
    def success(request, form, is_json, origin, *, status: str):
        message = (
            form.success_message
            if status == "pending"
            else "Thanks! You are subscribed. Reply STOP at any time to cancel."
        )
        if is_json:
            return _cors(JsonResponse({"status": status, "message": message}), origin, form)
        return _page("consent/public_thanks.html", {"message": message}, request, form=form)

    @staticmethod
    def failure(request, form, is_json, origin, exc: ApplicationError, values, embedder):
        if is_json:
            return _cors(JsonResponse(_error_json(exc), status=exc.status_code), origin, form)
        if exc.status_code == 403 or exc.status_code == 429:
            return _page(
                "consent/public_refused.html",
                {"message": exc.message},
                request,
                form=form,
                status=exc.status_code,
            )
        return PublicFormView.render(
            request,
            form,
            embed_origin=embedder,
            errors={"form": exc.message, **{k: v[0] for k, v in exc.fields.items()}},
            values=values,
            status=400,
        )


def reply_yes_queue(event) -> None:
    """Queue the "Reply YES" text of a new pending opt-in for a worker
    (``messaging.tasks.optin_form_reply_yes``: messaging's ``double_opt_in_send``, the same
    text, number, purpose and key). Not in the request: the answer does not depend on it,
    and the number's look-up, the gates, the INSERT and the lane kick were a third of a
    submission's cost. After COMMIT (here the service's transaction has committed; inside a
    caller's, on its commit); robust: a broker that refuses the task is logged, and the
    recorded consent still gets its answer."""
    args = (event.pk,)
    # the arguments' text for monitors given, as Celery would make it (saferepr: a fifth of
    # the publish's CPU for one integer)
    transaction.on_commit(
        lambda: optin_form_reply_yes.apply_async(args, argsrepr=repr(args), kwargsrepr="{}"),
        robust=True,
    )


def _truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "on", "yes")
