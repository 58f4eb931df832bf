"""The middleware an API-key request needs, for the API's lean views.

``LeanChainMiddleware`` is the first entry of ``MIDDLEWARE``. A request under ``/api/``
whose URL resolves to a view made by ``accounts.api.lean.lean_post`` (the send API) runs
through a shorter chain: ``MIDDLEWARE`` less ``API_LEAN_SKIP_MIDDLEWARE`` — the portal's
session, CSRF, user, second-factor, business, flash-message, sign-in lockout and banner
middleware, and static files. The API authenticates by key alone
(``DEFAULT_AUTHENTICATION_CLASSES``), so none of those changes what such a request is
answered; they only cost CPU on the API's hottest path (bench_load). Every other
middleware runs in its order (request id, security headers, the input hygiene's 400,
``Content-Length``, cookie gate), and so does a middleware added to ``MIDDLEWARE`` later
unless it is named in the skip list. Every other request takes the whole stack.

The short chain is built as Django builds the stack (each layer wrapped by
``convert_exception_to_response``, so an exception is the same 500 in the API's error
shape). A kept middleware with ``process_view``, ``process_exception`` or
``process_template_response`` hooks is refused at start: the short chain does not run them.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.urls import Resolver404, resolve
from django.utils.module_loading import import_string

API_PREFIX = "/api/"
_HOOKS = ("process_view", "process_exception", "process_template_response")


def _view(request):
    """What Django's handler does once the URL is resolved, for a view without view
    middleware: call it, and render a template response (DRF's)."""
    match = request.resolver_match
    response = match.func(request, *match.args, **match.kwargs)
    if response is None:
        raise ValueError(f"The view {match.view_name} returned None.")
    if callable(getattr(response, "render", None)):
        response = response.render()
    return response


def lean_chain_middleware() -> list[str]:
    """The middleware a lean view's request runs through, in ``MIDDLEWARE``'s order."""
    skip = set(settings.API_LEAN_SKIP_MIDDLEWARE) | {f"{__name__}.LeanChainMiddleware"}
    return [path for path in settings.MIDDLEWARE if path not in skip]


def _build(paths: list[str]):
    handler = convert_exception_to_response(_view)
    for path in reversed(paths):
        cls = import_string(path)
        hooks = [h for h in _HOOKS if hasattr(cls, h)]
        if hooks:
            raise ImproperlyConfigured(
                f"{path} has {', '.join(hooks)}: the API's short chain does not run them; "
                "add it to API_LEAN_SKIP_MIDDLEWARE or give it no such hook."
            )
        handler = convert_exception_to_response(cls(handler))
    return handler


class LeanChainMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.lean = _build(lean_chain_middleware())

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            if getattr(match.func, "lean", False):
                request.resolver_match = match
                return self.lean(request)
        return self.get_response(request)
