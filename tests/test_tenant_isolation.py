"""Tenant isolation beyond the URL sweep: tenant-owned rows are reached only through
selectors and services that take the business, and those selectors do filter by it.

1. The tenant-owned models are found by introspection (every model with a ForeignKey to
   accounts.Business, and the models that hang only from such a parent).
2. A static check over the interface modules (portal views, API views and serializers,
   forms): no ``<TenantModel>.objects`` there, except ``.none()`` placeholders and the
   allow-list below, each with its reason and the keyword its first filter must scope by.
3. A dynamic check: every public function of every app's selector modules that takes
   ``business`` is called with business B and business A's objects (their uuids, the
   objects, A's contact phone). It must raise the one not-found/refusal error or return
   nothing of A's; called with business A, the getters must find A's object (so the check
   cannot pass by finding nothing at all).
"""

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models
from django.http import Http404

from accounts.errors import ApplicationError
from accounts.models import Business

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "campaigns", "consent", "messaging", "policies")


def tenant_models() -> set[type[models.Model]]:
    return {
        m
        for m in apps.get_models()
        if any(f.is_relation and f.related_model is Business for f in m._meta.concrete_fields)
    }


def child_models() -> dict[type[models.Model], list[str]]:
    """Models without a business of their own whose every required parent is tenant-owned:
    they are reached through that parent."""
    tenants = tenant_models()
    out = {}
    for m in apps.get_models():
        if m in tenants or m is Business:
            continue
        tenant_parents = [
            f.name
            for f in m._meta.concrete_fields
            if f.is_relation and f.related_model in tenants and not f.null
        ]
        if tenant_parents:
            out[m] = tenant_parents
    return out


def test_tenant_models_are_found_and_carry_a_non_null_business():
    found = tenant_models()
    labels = {m._meta.label for m in found}
    # the core of each app, so the introspection cannot silently find nothing
    assert {
        "accounts.Membership",
        "campaigns.PhoneNumber",
        "consent.Contact",
        "consent.ConsentEvent",
        "messaging.Message",
        "policies.Strike",
    } <= labels
    nullable = [
        m._meta.label
        for m in found
        for f in m._meta.concrete_fields
        if f.is_relation and f.related_model is Business and f.null
    ]
    # Rows that outlive or precede a business link to it optionally, on purpose.
    assert set(nullable) <= NULLABLE_BUSINESS, nullable


# Tenant models whose business link may be empty, and why.
NULLABLE_BUSINESS = {
    "accounts.AuditEvent",  # staff actions without a business; SET_NULL keeps the trail
    "privacy.UsageLogEntry",  # a signed-in page view outside any business
    "public.SupportRequest",  # the public support form: visitors without an account
    "policies.PolicyAcceptance",  # a person's acceptance at sign-up, before the business
}


def test_models_below_a_tenant_parent_are_known():
    """Every model that hangs from a tenant-owned parent without a business of its own is
    named here, so a new one is looked at (is it reached only through its parent's
    selector?). Today there is none: every child row carries its business (STYLE.md)."""
    found = {m._meta.label: parents for m, parents in child_models().items()}
    assert set(found) == set(CHILD_MODELS), found


# Models without their own business, reached only through a tenant-owned parent.
CHILD_MODELS: dict[str, list[str]] = {}


# --- 2. static check of the interface modules -----------------------------------------

INTERFACE_GLOBS = (
    "*/views.py",
    "*/*_views.py",
    "*/api.py",
    "*/api/*.py",
    "*/api/views/*.py",  # an API split by subject (messaging.api.views)
    "*/views/*.py",  # portal pages split by page area (messaging.views)
    "*/forms.py",
    "*/*_forms.py",
    # sub-apps (accounts.privacy, accounts.public, ...); not a services package's modules
    "*/*/views.py",
    "*/*/forms.py",
    "*/*/api.py",
)

# (module path, enclosing function or class, model) -> (keyword the first .filter() must
# carry, why the direct query is acceptable here).
ALLOWED = {
    ("accounts/privacy/views.py", "get_context_data", "UsageLogEntry"): (
        "user",
        "the signed-in person's own page-view log on their account page: scoped by user",
    ),
    ("campaigns/forms.py", "__init__", "Brand"): (
        "business",
        "a ModelChoiceField needs a queryset: the form's business's brands",
    ),
    ("campaigns/forms.py", "__init__", "Campaign"): (
        "business",
        "a ModelChoiceField needs a queryset: the form's business's campaigns",
    ),
    ("messaging/api/views/broadcasts.py", "_refresh", "Message"): (
        "business_id",
        "counts a broadcast's messages; the broadcast came from broadcast_get(business=)",
    ),
    ("messaging/views/broadcasts.py", "_refreshed", "Message"): (
        "business_id",
        "counts a broadcast's messages; the broadcast came from broadcast_get(business=)",
    ),
    ("messaging/views/inbox.py", "post", "Message"): (
        "business",
        "the thread's last inbound message, for the reply: request business and contact",
    ),
    ("policies/governance_views.py", "get_context_data", "Strike"): (
        "business",
        "the compliance page's strikes of the request's business",
    ),
}


def _interface_files() -> list[Path]:
    files = {p for pattern in INTERFACE_GLOBS for p in ROOT.glob(pattern)}
    return sorted(
        p for p in files if p.parts[len(ROOT.parts)] in APPS and p.parent.name != "services"
    )


def _direct_queries():
    """(path, enclosing def, model, first call name, its keywords) per ``<Model>.objects``."""
    names = {m.__name__ for m in tenant_models()}
    for path in _interface_files():
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text())
        parents: dict[ast.AST, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Attribute) and node.attr in {"objects", "_default_manager"}
            ):
                continue
            target = node.value
            model = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
            if model not in names:
                continue
            first_call, keywords = "", set()
            outer = parents.get(node)
            if isinstance(outer, ast.Attribute):
                first_call = outer.attr
                call = parents.get(outer)
                if isinstance(call, ast.Call):
                    keywords = {k.arg for k in call.keywords if k.arg}
            enclosing, up = "<module>", parents.get(node)
            while up is not None:
                if isinstance(up, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    enclosing = up.name
                    break
                up = parents.get(up)
            yield rel, enclosing, model, first_call, keywords, node.lineno


def test_interface_modules_reach_tenant_rows_only_through_selectors():
    seen, problems = set(), []
    for rel, enclosing, model, first_call, keywords, line in _direct_queries():
        if first_call == "none":
            continue  # an empty placeholder queryset, filled per business later
        key = (rel, enclosing, model)
        if key not in ALLOWED:
            problems.append(f"{rel}:{line} {model}.objects in {enclosing}(): use a selector")
            continue
        seen.add(key)
        scope = ALLOWED[key][0]
        if first_call != "filter" or scope not in keywords:
            problems.append(f"{rel}:{line} {model}.objects must .filter({scope}=…) first")
    assert not problems, "\n".join(problems)
    stale = set(ALLOWED) - seen
    assert not stale, f"allow-list entries that no longer match any code: {stale}"


def test_the_static_check_sees_the_interface_modules():
    rels = {str(p.relative_to(ROOT)) for p in _interface_files()}
    assert {
        "consent/views/contacts.py",
        "messaging/api/views/messages.py",
        "messaging/views/inbox.py",
        "campaigns/forms.py",
    } <= rels
    found = {(rel, model) for rel, _, model, *_ in _direct_queries()}
    assert ("campaigns/forms.py", "Brand") in found  # the walker finds real occurrences


# --- 3. dynamic check of the selectors ----------------------------------------------------

SELECTOR_MODULES = [
    "accounts.selectors",
    "accounts.events.selectors",
    "campaigns.selectors",
    "consent.selectors",
    "messaging.selectors",
    "policies.selectors",
]


def tenant_selectors():
    for module_name in SELECTOR_MODULES:
        module = importlib.import_module(module_name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            # a selectors package (messaging.selectors) re-exports its subjects' functions
            own = fn.__module__ == module_name or fn.__module__.startswith(f"{module_name}.")
            if not own or name.startswith("_"):
                continue
            if "business" in inspect.signature(fn).parameters:
                yield f"{module_name}.{name}", fn


SELECTORS = dict(tenant_selectors())


def _world(business):
    """One of every tenant object the selectors look up, in ``business``."""
    from accounts import services as account_services
    from accounts.events.models import WebhookDelivery, WebhookEndpoint
    from accounts.models import IdempotentRequest
    from accounts.roles import Role
    from consent.models import ConsentEvent, ContactImport
    from messaging import services as messaging_services
    from messaging.models import Broadcast, Message, QuickReply
    from tests.factories.accounts import MembershipFactory
    from tests.factories.messaging import MessageFactory, consenting_contact, sending_number
    from tests.factories.policies import PolicyDecisionFactory, StrikeFactory

    owner = MembershipFactory(business=business, role=Role.OWNER.value)
    key, _ = account_services.api_key_create(
        business=business, name="isolation", role=Role.AGENT.value, by=owner
    )
    invitation, _ = account_services.invitation_create(
        business=business,
        email=f"invitee-{business.pk}@example.com",
        role=Role.AGENT.value,
        invited_by=owner,
    )
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    message = messaging_services.message_enqueue(
        business=business,
        body="Your cleaning is on Tuesday at 3pm. Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
        from_number=number,
        idempotency_key=f"isolation-{business.pk}",
    )
    MessageFactory(
        business=business,
        contact=contact,
        from_number=number,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        to_phone=contact.phone_e164,
        body="See you then",
    )
    broadcast = Broadcast.objects.create(
        business=business, name="Spring", body="Hi", from_number=number
    )
    MessageFactory(business=business, contact=contact, from_number=number, broadcast=broadcast)
    endpoint = WebhookEndpoint.objects.create(
        business=business, url="https://hooks.example.com/x", events=["message.status"]
    )
    IdempotentRequest.objects.create(
        business=business,
        key=message.idempotency_key,
        operation="messages_send",
        fingerprint="0" * 64,
        response_status=201,
    )
    return {
        "endpoint": endpoint,
        "delivery": WebhookDelivery.objects.create(
            business=business, endpoint=endpoint, event="message.status"
        ),
        "operation": "messages_send",
        "idempotency_key": message.idempotency_key,
        "owner": owner,
        "key": key,
        "invitation": invitation,
        "membership": owner,
        "number": number,
        "campaign": number.campaign,
        "brand": number.campaign.brand,
        "contact": contact,
        "event": ConsentEvent.objects.filter(business=business).first(),
        "import": ContactImport.objects.create(business=business, filename="c.csv", content=b""),
        "form": __import__("tests.factories.consent", fromlist=["x"]).OptInFormFactory(
            business=business
        ),
        "message": message,
        "broadcast": broadcast,
        "reply": QuickReply.objects.create(business=business, title="Hours", body="9-5"),
        "decision": PolicyDecisionFactory(business=business),
        "strike": StrikeFactory(business=business),
    }


def _arguments(fn, business, world) -> dict:
    """Keyword arguments for ``fn``: ``business``, and everything else from ``world``."""
    kwargs = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == "business":
            kwargs[name] = business
        elif name.endswith("_uuid"):
            kwargs[name] = world[name.removesuffix("_uuid")].uuid
        elif name in ("number", "from_number"):
            kwargs[name] = world["number"]
        elif name == "number_ids":
            kwargs[name] = [world["number"].pk]
        elif name in world and param.default is inspect.Parameter.empty:
            kwargs[name] = world[name]
        elif name == "contact":
            kwargs[name] = world["contact"]  # optional filters too: A's contact
        elif name == "phone":
            kwargs[name] = world["contact"].phone_e164
        elif name == "contacts":
            kwargs[name] = [world["contact"]]
        elif name == "audience":
            kwargs[name] = type(world["contact"]).objects.filter(pk=world["contact"].pk)
        elif name == "contact_uuids":
            kwargs[name] = [world["contact"].uuid]
        elif name == "key":
            kwargs[name] = world["message"].idempotency_key
        elif name == "queries":
            from consent.selectors import ConsentQuery

            kwargs[name] = [ConsentQuery(contact=world["contact"], kind="transactional")]
        elif name == "kind":
            kwargs[name] = "transactional"
        elif name == "body":
            kwargs[name] = "Your cleaning is on Tuesday. Reply STOP to opt out."
        elif name == "automated":
            kwargs[name] = False
        elif param.default is inspect.Parameter.empty and param.annotation in (int, "int"):
            kwargs[name] = 1  # counts (segments, media_count): any small number
        elif param.default is inspect.Parameter.empty:
            raise AssertionError(f"no argument for {fn.__qualname__}({name}=…): add one here")
    return kwargs


def _instances(value, depth: int = 0):
    """Every model instance in a selector's answer (querysets, lists, dicts, dataclasses)."""
    if depth > 4:
        return
    if isinstance(value, models.Model):
        yield value
        return
    if isinstance(value, models.QuerySet):
        value = list(value[:200])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = [getattr(value, f.name) for f in dataclasses.fields(value)]
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set):
        for item in value:
            yield from _instances(item, depth + 1)


def _materialised(value):
    if isinstance(value, models.QuerySet):
        return list(value[:200])
    if isinstance(value, dict):
        return {k: _materialised(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_materialised(v) for v in value]
    return value


def _marks(obj) -> set[str]:
    """Strings that identify a row in any answer, even one without model instances."""
    if isinstance(obj, list | tuple):
        return set().union(*(_marks(o) for o in obj)) if obj else set()
    marks = {str(obj)} if isinstance(obj, str) else set()
    for attr in ("uuid", "phone_e164", "e164"):
        value = getattr(obj, attr, None)
        if value:
            marks.add(str(value))
    return marks


def _fingerprints(world, kwargs) -> set[str]:
    """The business's identifying strings, less those the caller passed in (a selector may
    repeat its own arguments, e.g. the compose pre-check shows the phone it was given)."""
    ours = set().union(*(_marks(obj) for obj in world.values()))
    given = set().union(*(_marks(v) for v in kwargs.values()))
    return ours - given


def _belongs_to(instance: models.Model, business) -> bool:
    if isinstance(instance, Business):
        return instance.pk == business.pk
    return getattr(instance, "business_id", None) == business.pk


# Getters whose A-side call must find A's object (the positive control).
GETTERS = {name for name in SELECTORS if name.rsplit(".", 1)[1].endswith("_get")}


@pytest.fixture
def worlds(db):
    from tests.factories.accounts import BusinessFactory

    a, b = BusinessFactory(), BusinessFactory()
    return a, _world(a), b, _world(b)


def test_the_selectors_are_found():
    assert len(SELECTORS) >= 40, sorted(SELECTORS)
    assert {"consent.selectors.contact_get", "messaging.selectors.message_get"} <= set(SELECTORS)
    assert len(GETTERS) >= 12


@pytest.mark.django_db
def test_selectors_never_answer_with_another_business_s_rows(worlds):
    a, world_a, b, _ = worlds
    leaks, refused, answered = [], [], []
    for name, fn in sorted(SELECTORS.items()):
        kwargs = _arguments(fn, b, world_a)
        try:
            result = fn(**kwargs)
        except (ApplicationError, Http404):
            refused.append(name)
            continue
        answered.append(name)
        theirs = [i for i in _instances(result) if _belongs_to(i, a)]
        if theirs:
            leaks.append(f"{name} returned {theirs[:3]} of the other business")
        text = repr(_materialised(result))
        shown = sorted(mark for mark in _fingerprints(world_a, kwargs) if mark in text)
        if shown:
            leaks.append(f"{name} showed the other business's {shown}")
        if getattr(result, "allowed", False):
            leaks.append(f"{name} allowed business B to use business A's objects")
    assert not leaks, "\n".join(leaks)
    # every getter refuses another business's uuid with the one not-found error
    assert set(refused) >= GETTERS, sorted(GETTERS - set(refused))


@pytest.mark.django_db
def test_getters_find_their_own_business_s_objects(worlds):
    a, world_a, *_ = worlds
    for name in sorted(GETTERS):
        fn = SELECTORS[name]
        result = fn(**_arguments(fn, a, world_a))
        assert isinstance(result, models.Model) and _belongs_to(result, a), name


@pytest.mark.django_db
def test_list_selectors_return_their_own_business_s_rows(worlds):
    """The positive control of the leak check for lists: asked for business A with A's
    objects, these return A's rows (so "nothing of A's for B" is not an empty world)."""
    a, world_a, *_ = worlds
    empty = []
    for name in sorted(RETURN_OWN_ROWS):
        fn = SELECTORS[name]
        result = fn(**_arguments(fn, a, world_a))
        if not any(_belongs_to(i, a) for i in _instances(result)):
            empty.append(name)
    assert not empty, empty


RETURN_OWN_ROWS = {
    "accounts.selectors.api_key_list",
    "accounts.selectors.audit_list",
    "campaigns.selectors.campaigns_assignable",
    "consent.selectors.campaign_for_business",
    "consent.selectors.campaigns_for_business",
    "messaging.selectors.consent_summary",
    "messaging.selectors.inbox_threads",
    "messaging.selectors.sending_numbers",
    "accounts.selectors.invitation_list_open",
    "accounts.selectors.membership_list",
    "campaigns.selectors.brand_list",
    "campaigns.selectors.campaign_list",
    "campaigns.selectors.phone_number_list",
    "campaigns.selectors.phone_numbers_for_sending",
    "consent.selectors.consent_events",
    "consent.selectors.contact_for_phone",
    "consent.selectors.contact_import_list",
    "consent.selectors.contact_list",
    "consent.selectors.contact_states",
    "consent.selectors.contacts_for_audience",
    "consent.selectors.optin_form_list",
    "messaging.selectors.broadcast_list",
    "messaging.selectors.message_list",
    "messaging.selectors.quick_reply_list",
    "messaging.selectors.thread_messages",
    "policies.selectors.decision_list",
    "policies.selectors.strike_list",
}


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["not-a-uuid", "", "12345", 12345, None], ids=repr)
def test_getters_answer_a_malformed_id_with_the_not_found_error(worlds, bad):
    """Ids come from links and form fields: anything that is not a uuid is "not found", never
    a 500 (Django raises ValidationError, not ValueError, for a malformed uuid)."""
    a, world_a, *_ = worlds
    wrong = []
    for name in sorted(GETTERS):
        fn = SELECTORS[name]
        kwargs = _arguments(fn, a, world_a)
        for key in [k for k in kwargs if k.endswith("_uuid")]:
            try:
                fn(**{**kwargs, key: bad})
            except (ApplicationError, Http404):
                continue
            except Exception as exc:
                wrong.append(f"{name}({key}={bad!r}) raised {type(exc).__name__}: {exc}")
            else:
                wrong.append(f"{name}({key}={bad!r}) answered")
    assert not wrong, "\n".join(wrong)
