"""The middleware a request that no session or cookie authenticates needs, for lean views.

``LeanChainMiddleware`` is the first entry of ``MIDDLEWARE``. A request whose URL resolves
to a lean view — one marked by ``lean_chain`` (the public opt-in form's submit) or made by
``accounts.api.lean.lean_post`` (the send API) — runs through a shorter chain:
``MIDDLEWARE`` less ``API_LEAN_SKIP_MIDDLEWARE`` — the portal's session, user,
second-factor, business, flash-message, sign-in lockout and banner middleware, and static
files. The API authenticates by key alone (``DEFAULT_AUTHENTICATION_CLASSES``), the form by
its origin and single-use token (anonymous), so none of those changes what such a request
is answered; they only cost CPU on the hottest paths (bench_load). Every other middleware
runs in its order (request id, security headers, the input hygiene's 400,
``Content-Length``, cookie gate), and so does a middleware added to ``MIDDLEWARE`` later
unless it is named in the skip list. A lean view is ``csrf_exempt`` (one that is not takes
the whole stack), so the CSRF middleware's view check would pass it: the chain keeps that
middleware's cookie handling and skips the check. Every other request takes the whole
stack: only a path that a lean view's own URL pattern matches is resolved here (the
patterns are read from the URLconf once), so other requests pay a regex match or two.

The short chain is built as Django builds the stack (each layer wrapped by
``convert_exception_to_response``, so an exception is the same 500 in the API's error
shape). A kept middleware with ``process_view``, ``process_exception`` or
``process_template_response`` hooks is refused at start: the short chain does not run them.
"""

import re
import weakref

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.exception import convert_exception_to_response
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils.module_loading import import_string

_HOOKS = ("process_view", "process_exception", "process_template_response")


def lean_chain(view):
    """Mark ``view`` (a function, or a class's ``dispatch`` through ``method_decorator``) to
    run through the short chain. Only for a view that no session, cookie or signed-in user
    authenticates, with a test that sends the same requests through both chains and compares
    the answers (tests/accounts/test_api_chain.py, tests/consent/test_form_chain.py)."""
    view.lean = True
    return view


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
        if issubclass(cls, CsrfViewMiddleware):
            # its view hook is the CSRF check, which passes a csrf_exempt view, and only
            # those take the chain; its request and response halves run (a page rendered
            # with a CSRF token — the input hygiene's refusal shows the cookie banner —
            # gets its cookie as through the whole stack)
            hooks.remove("process_view")
        if hooks:
            raise ImproperlyConfigured(
                f"{path} has {', '.join(hooks)}: the API's short chain does not run them; "
                "add it to API_LEAN_SKIP_MIDDLEWARE or give it no such hook."
            )
        handler = convert_exception_to_response(cls(handler))
    return handler


def lean_paths(resolver: URLResolver) -> list[re.Pattern]:
    """The full regex of every URL pattern of ``resolver`` whose view is lean."""
    known = _lean_paths.get(resolver)
    if known is None:
        known = _lean_paths[resolver] = [
            re.compile(regex) for regex in _lean_regexes(resolver, resolver.pattern.regex.pattern)
        ]
    return known


def _lean_regexes(resolver: URLResolver, prefix: str):
    for pattern in resolver.url_patterns:
        regex = prefix + pattern.pattern.regex.pattern.removeprefix("^")
        if isinstance(pattern, URLResolver):
            yield from _lean_regexes(pattern, regex)
        elif getattr(pattern.callback, "lean", False):
            yield regex


# per URLconf (get_resolver's, renewed when ROOT_URLCONF changes)
_lean_paths: "weakref.WeakKeyDictionary[URLResolver, list[re.Pattern]]" = (
    weakref.WeakKeyDictionary()
)


class LeanChainMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.lean = _build(lean_chain_middleware())

    def __call__(self, request):
        path = request.path_info
        if any(regex.match(path) for regex in lean_paths(get_resolver())):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            if getattr(match.func, "lean", False) and getattr(match.func, "csrf_exempt", False):
                request.resolver_match = match
                return self.lean(request)
        return self.get_response(request)
