"""The URL sweep's vocabulary. Each app lists its URLs in ``tests/<app>/url_rules.py``.

Every named URL pattern must have a rule, so a new page cannot ship unchecked:
- ``portal``: anonymous → login redirect; a role without ``cap`` → 403; a member of
  another business asking for this business's object (``kwargs``) → 404.
- ``api``: no key or a wrong key → 401; a key whose role lacks ``cap`` → 403; another
  business's key on this business's object → 404; all in the one error shape.
- ``public``: reachable anonymously, with the ``reason`` it is public.
- ``twilio``: the Twilio-compatible API (HTTP Basic with Twilio-style credentials): none or
  wrong → 401, a key whose role lacks ``cap`` → 403, another business's credentials on this
  business's object → 404; all in Twilio's error shape ``{code, message, more_info, status}``.
- ``ops``: a machine endpoint for operators (``/metrics``): a bearer token from the setting
  ``token_setting``, or staff with their second factor. Without a token configured,
  anonymous users and business members get 404; with one, a missing or wrong token gets 401
  (business members too), in the one error shape; the right token is allowed.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from accounts.roles import Cap


@dataclass
class Rule:
    kind: Literal["portal", "api", "public", "ops", "twilio"]
    cap: Cap = Cap.VIEW
    method: str = "get"
    # Makes an object owned by the given business and returns the URL kwargs for it.
    kwargs: Callable[[Any], dict] | None = None
    # Request body for POST/PUT/PATCH (given the business and the kwargs).
    data: Callable[[Any, dict], dict] | None = None
    reason: str = ""
    # Status codes the allowed caller may get (besides 2xx/3xx), e.g. 400 for empty forms.
    allowed_extra: tuple[int, ...] = field(default_factory=tuple)
    # ``ops``: the setting that holds the bearer token.
    token_setting: str = ""
