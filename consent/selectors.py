"""Reads of the consent app. Every selector takes the business."""

import functools
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts import db
from accounts.errors import NotFound
from accounts.models import Business
from campaigns.models import Campaign
from policies.documents_models import PolicyDocument

from . import hashing, phones
from .models import (
    POLICY_KINDS,
    ChainHead,
    ConsentEvent,
    ConsentEvidence,
    ConsentState,
    Contact,
    ContactImport,
    OptInForm,
    Suppression,
)
from .phones import phone_hash
from .scopes import ALL, decision_keys, scope_key

SYSTEM_ALWAYS = {"opt_out_confirmation", "help_reply"}
CHAIN_COLUMNS = (
    "uuid",
    "seq",
    "kind",
    "method",
    "scope_kind",
    "disclosure_text",
    "policy_version",
    "form_snapshot_sha256",
    "page_url",
    "source",
    "consented_at",
    "recorded_by_label",
    "evidence_sha256",
    "created_at",
)


@dataclass(frozen=True)
class ConsentDecision:
    allowed: bool
    code: str
    message: str

    def __bool__(self) -> bool:
        return self.allowed


_MESSAGES = {
    "ok": "Consent is in place.",
    "suppressed": "This number opted out earlier (suppression list).",
    "opted_out": "The contact opted out.",
    "no_consent": "The contact has not consented to this kind of message.",
    "pending_double_opt_in": "The contact has not yet replied YES to confirm.",
    "conversation_only": "The contact texted in without opting in: only replies may be sent.",
}


def _decision(code: str, message: str = "") -> ConsentDecision:
    return ConsentDecision(code == "ok", code, message or _MESSAGES[code])


def suppression_hash(*, business: Business, phone: str) -> str | None:
    """The hash the suppression list holds for ``phone``; None for a number that does not
    parse (nothing can suppress it)."""
    try:
        return phone_hash(business=business, e164=phones.normalize(phone))
    except phones.InvalidPhone:
        return None


# The number's live suppressions, business-wide or for the campaign (NULL: none), as SQL
# written once: parameters business id, phone hash, campaign id. The consent gate's one
# statement carries it as a column (uncorrelated: PostgreSQL evaluates it once), and so do
# the public form's chain head read and ledger append (consent.services.chain).
LIVE_SUPPRESSION_SQL = (
    f"EXISTS (SELECT 1 FROM {Suppression._meta.db_table} u WHERE u.business_id = %s "  # noqa: S608 - our names
    "AND u.lifted_at IS NULL AND u.phone_hash = %s "
    "AND (u.campaign_id IS NULL OR u.campaign_id = %s))"
)
_STATES_SQL = (
    f"SELECT s.scope_key, s.status, s.event_seq, {LIVE_SUPPRESSION_SQL} "  # noqa: S608 - our names
    f"FROM {ConsentState._meta.db_table} s "
    "WHERE s.business_id = %s AND s.contact_id = %s AND s.scope_key = ANY(%s)"
)


def _live_suppression(*, business: Business, hashed: str, campaign_id: int | None) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {LIVE_SUPPRESSION_SQL}", [business.pk, hashed, campaign_id])
        return bool(cursor.fetchone()[0])


def is_suppressed(*, business: Business, phone: str, campaign=None) -> bool:
    """Is the number on the business's suppression list (business-wide, or for ``campaign``)?
    SQL written once per process: every opt-in asks it under the chain head's lock (the
    public form on each submission), every send's consent gate as a column."""
    hashed = suppression_hash(business=business, phone=phone)
    return hashed is not None and _live_suppression(
        business=business, hashed=hashed, campaign_id=getattr(campaign, "pk", None)
    )


def _decide(
    *, contact, kind: str, campaign, is_reply: bool, purpose: str, states: dict, suppressed
) -> ConsentDecision:
    """The rules, given the contact's ConsentState rows by scope key (``states``) and a
    ``suppressed()`` callable; shared by ``consent_check`` and ``consent_check_many``."""
    keys = decision_keys(campaign)
    revoked = max(
        (
            states[k].event_seq
            for k in keys[:2]
            if k in states and states[k].status == ConsentState.Status.OPTED_OUT
        ),
        default=0,
    )
    if kind == "marketing":
        grant_keys = [scope_key(campaign=campaign, kind="marketing")]
    else:
        grant_keys = [k for k in keys if k != ALL]

    def live(status):
        return [
            k
            for k in grant_keys
            if k in states and states[k].status == status and states[k].event_seq > revoked
        ]

    granted = live(ConsentState.Status.OPTED_IN)
    pending = live(ConsentState.Status.PENDING)
    if purpose == "double_opt_in":
        # the "Reply YES" text may reach a pending contact, even one suppressed earlier
        return _decision("ok" if pending or granted else "no_consent")
    if suppressed():
        return _decision("opted_out" if revoked else "suppressed")
    if revoked and not granted:
        return _decision("opted_out")
    if granted or (is_reply and kind != "marketing"):
        return _decision("ok")
    if pending:
        return _decision("pending_double_opt_in")
    if contact.last_inbound_at is not None:
        return _decision("conversation_only")
    return _decision("no_consent")


def _unusable(business, contact, phone: str | None = None) -> bool:
    return (
        contact is None
        or bool(contact.erased_at)
        or not (phone if phone is not None else contact.phone_e164)
        or contact.business_id != business.pk
    )


# --- the gate's read in a statement the request makes anyway ----------------------------------
# The send API's first statement (messaging.selectors.api_key_contact_and_number_find) reads
# the contact; ``consent_columns`` read with it what ``consent_check``'s own statement reads:
# the contact's state rows, and whether its number is suppressed for the number's campaign.
# The suppression list holds keyed hashes that SQL cannot compute, so that column asks it by
# the hash stored on the contact (``Contact.phone_hash``), and ``consent_check`` takes its
# answer only when that hash is the one of the phone read in the same row (checked here, in
# Python): whatever wrote the phone or the hash, the answer is the one its own statement
# would give; otherwise it asks the suppression list itself.
_READ_WITH_CONTACT = "_consent_read"
CONSENT_WIDTH = 2


def consent_columns(*, contact: str, campaign_id: str) -> str:
    """SQL for a SELECT list: the state rows of the contact aliased ``contact`` (JSON) and
    whether the number of its stored ``phone_hash`` is suppressed, business-wide or for the
    campaign whose id is the SQL ``campaign_id``; for ``consent_attach``."""
    states = ConsentState._meta.db_table
    return (
        "(SELECT json_agg(json_build_array(s.scope_key, s.status, s.event_seq)) "  # noqa: S608 - our names
        f"FROM {states} s WHERE s.business_id = {contact}.business_id "
        f"AND s.contact_id = {contact}.id), "
        f"EXISTS (SELECT 1 FROM {Suppression._meta.db_table} u "
        f"WHERE u.business_id = {contact}.business_id AND u.lifted_at IS NULL "
        f"AND u.phone_hash = {contact}.phone_hash "
        f"AND (u.campaign_id IS NULL OR u.campaign_id = {campaign_id}))"
    )


@dataclass(frozen=True, slots=True)
class _ReadWithContact:
    campaign_id: int | None  # the campaign the suppression column asked for
    phone_hash: str  # the hash it asked by (the contact's stored one)
    states: dict
    suppressed: bool


def consent_attach(contact: Contact, values, *, campaign_id: int | None) -> None:
    """Give ``contact`` (this request's instance, read with ``consent_columns``) what they
    read: ``consent_check`` answers from it for a question on the same campaign."""
    rows, suppressed = values
    states = {key: _State(status, seq) for key, status, seq in rows or ()}
    read = _ReadWithContact(campaign_id, contact.phone_hash, states, bool(suppressed))
    setattr(contact, _READ_WITH_CONTACT, read)


def contact_phone_hash_due(*, contact: Contact) -> str | None:
    """The hash to store on a contact read with ``consent_columns`` whose stored one was
    found not to be its phone's (``consent_check`` then asked the suppression list itself);
    else None."""
    return getattr(contact, _HASH_DUE, None)


_HASH_DUE = "_consent_phone_hash_due"


def consent_check(
    *,
    business: Business,
    contact: Contact,
    kind: str,
    campaign=None,
    is_reply: bool = False,
    purpose: str = "",
) -> ConsentDecision:
    """May ``business`` send a ``kind`` message on ``campaign`` to ``contact`` now, and why.

    Between the scopes that matter, the later event wins: an opt-out (of the campaign or of
    the whole business) revokes every consent given before it.
    """
    if purpose in SYSTEM_ALWAYS:
        return _decision("ok", "A system reply the rules always allow.")
    if _unusable(business, contact):
        return _decision("no_consent")
    hashed = suppression_hash(business=business, phone=contact.phone_e164)
    campaign_id = getattr(campaign, "pk", None)
    read = getattr(contact, _READ_WITH_CONTACT, None)
    known: bool | None = None  # the suppression answer read already, if it is this phone's
    if read is not None and read.campaign_id == campaign_id:
        # read with the contact (consent_attach); its suppression answer is this phone's
        # only when it asked by this phone's hash
        if hashed is not None and read.phone_hash != hashed:
            setattr(contact, _HASH_DUE, hashed)  # contact_phone_hash_due: the send stores it
        elif hashed is not None:
            known = read.suppressed
        states = read.states
    else:
        # one statement, written once per process (every send asks it): the indexed state
        # rows (consentstate_scope: business, contact, scope_key), each carrying whether the
        # number is suppressed; a contact with no state row asks the suppression list apart
        with connection.cursor() as cursor:
            cursor.execute(
                _STATES_SQL,
                [
                    business.pk,
                    hashed,
                    campaign_id,
                    business.pk,
                    contact.pk,
                    decision_keys(campaign),
                ],
            )
            found = cursor.fetchall()
        if found:
            known = bool(found[0][3])
        states = {key: _State(status, seq) for key, status, seq, _ in found}

    def suppressed() -> bool:
        if hashed is None:
            return False
        if known is not None:
            return known
        return _live_suppression(business=business, hashed=hashed, campaign_id=campaign_id)

    return _decide(
        contact=contact,
        kind=kind,
        campaign=campaign,
        is_reply=is_reply,
        purpose=purpose,
        states=states,
        suppressed=suppressed,
    )


@dataclass(frozen=True, slots=True)
class _State:
    status: str
    event_seq: int


@dataclass(frozen=True)
class ConsentQuery:
    """One question for ``consent_check_many`` (the arguments of ``consent_check``)."""

    contact: Contact
    kind: str
    campaign: object = None
    is_reply: bool = False
    purpose: str = ""
    # The E.164 number the message goes to, when the caller has it (a queued message's
    # to_phone): suppression is checked for the number actually texted, and the contact's
    # phone need not be loaded and parsed.
    phone: str | None = None


def consent_check_many(*, business: Business, queries: list[ConsentQuery]) -> list[ConsentDecision]:
    """``consent_check`` for many messages of one business in two queries in all (the
    states of every contact, the live suppressions of every number): the batch form the
    drain and bulk sends use. Same rules (``_decide``), same answers."""
    usable = [
        q
        for q in queries
        if q.purpose not in SYSTEM_ALWAYS and not _unusable(business, q.contact, q.phone)
    ]
    keys = {k for q in usable for k in decision_keys(q.campaign)}
    states: dict[int, dict] = {}
    if usable:
        # plain tuples, not model instances: this runs for every message the drain sends
        for contact_id, key, status, seq in ConsentState.objects.filter(
            business_id=business.pk,
            contact_id__in={q.contact.pk for q in usable},
            scope_key__in=keys,
        ).values_list("contact_id", "scope_key", "status", "event_seq"):
            states.setdefault(contact_id, {})[key] = _State(status, seq)
    # Contacts hold canonical E.164 (phonenumber-field), so no re-normalising here.
    hashes = {
        id(q): phone_hash(
            business=business, e164=q.phone if q.phone is not None else q.contact.phone_e164
        )
        for q in usable
    }
    # campaign_id None: a business-wide suppression (the column is nullable)
    live: set[tuple[str, int | None]] = set(
        Suppression.objects.filter(
            business=business, phone_hash__in=set(hashes.values()), lifted_at=None
        ).values_list("phone_hash", "campaign_id")
        if hashes
        else ()
    )
    out = []
    for q in queries:
        if q.purpose in SYSTEM_ALWAYS:
            out.append(_decision("ok", "A system reply the rules always allow."))
            continue
        if _unusable(business, q.contact, q.phone):
            out.append(_decision("no_consent"))
            continue
        h = hashes[id(q)]
        camp_id = getattr(q.campaign, "pk", None)
        out.append(
            _decide(
                contact=q.contact,
                kind=q.kind,
                campaign=q.campaign,
                is_reply=q.is_reply,
                purpose=q.purpose,
                states=states.get(q.contact.pk, {}),
                suppressed=lambda h=h, c=camp_id: (
                    (h, None) in live or (c is not None and (h, c) in live)
                ),
            )
        )
    return out


def _uuid(value, not_found: str) -> uuid.UUID:
    """An id from a request as a UUID; anything else is "not found", like a missing one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(not_found) from None


def contact_get(*, business: Business, contact_uuid) -> Contact:
    # one statement written once per process (accounts.db): a send through the API asks it
    with connection.cursor() as cursor:
        cursor.execute(_contact_sql(), [business.pk, _uuid(contact_uuid, "Contact not found.")])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("Contact not found.")
    return db.instance(Contact, row)


@functools.cache
def _contact_sql() -> str:
    return (
        f"SELECT {db.columns(Contact, 'c')} "  # noqa: S608 - the model's own names
        f"FROM {connection.ops.quote_name(Contact._meta.db_table)} c "
        "WHERE c.business_id = %s AND c.uuid = %s"
    )


def contact_for_phone(*, business: Business, phone: str) -> Contact | None:
    try:
        e164 = phones.normalize(phone)
    except phones.InvalidPhone:
        return None
    return Contact.objects.filter(business=business, phone=e164).first()


def contact_list(
    *,
    business: Business,
    search: str = "",
    tag: str = "",
    status: str = "",
    include_erased: bool = False,
) -> QuerySet[Contact]:
    """Contacts with filters. ``status``: opted_in, pending, opted_out, none."""
    qs = Contact.objects.filter(business=business)
    if not include_erased:
        qs = qs.filter(erased_at=None)
    search = search.strip()
    if search:
        digits = "".join(c for c in search if c.isdigit())
        cond = Q(name__icontains=search) | Q(email__icontains=search)
        if len(digits) >= 3:
            cond |= Q(phone__contains=digits)
        qs = qs.filter(cond)
    if tag:
        qs = qs.filter(tags__contains=[tag])
    states = ConsentState.objects.filter(business=business)
    if status == "opted_in":
        qs = qs.filter(
            pk__in=states.filter(status=ConsentState.Status.OPTED_IN)
            .exclude(scope_key=ALL)
            .values("contact_id")
        )
    elif status == "pending":
        qs = qs.filter(
            pk__in=states.filter(status=ConsentState.Status.PENDING).values("contact_id")
        )
    elif status == "opted_out":
        qs = qs.filter(
            pk__in=states.filter(status=ConsentState.Status.OPTED_OUT).values("contact_id")
        )
    elif status == "none":
        qs = qs.exclude(pk__in=states.values("contact_id"))
    return qs.order_by("-created_at", "-id")


# --- custom field types (registered by consent.audiences) ------------------------------------

_field_types_sources: list = []


def custom_field_types_source_register(source) -> None:
    """``source(business=) -> {key: kind}``: the sub-app that owns the definitions plugs in
    here, so contact writes (portal, API, import) store typed values without this module
    importing it."""
    if source not in _field_types_sources:
        _field_types_sources.append(source)


def custom_field_types(*, business: Business) -> dict[str, str]:
    kinds: dict[str, str] = {}
    for source in _field_types_sources:
        kinds.update(source(business=business))
    return kinds


def contacts_for_audience(
    *, business: Business, tags: list[str] | None = None, contact_uuids=None
) -> QuerySet[Contact]:
    """Non-erased contacts with every given tag and/or among ``contact_uuids``."""
    qs = Contact.objects.filter(business=business, erased_at=None).exclude(phone=None)
    for tag in tags or []:
        qs = qs.filter(tags__contains=[tag])
    if contact_uuids is not None:
        qs = qs.filter(uuid__in=list(contact_uuids))
    return qs.order_by("id")


def contact_states(*, business: Business, contact: Contact) -> list[ConsentState]:
    return list(
        ConsentState.objects.filter(business=business, contact=contact)
        .select_related("campaign", "last_event")
        .order_by("scope_key")
    )


def consent_events(
    *,
    business: Business,
    contact: Contact | None = None,
    campaign=None,
    since=None,
    until=None,
) -> QuerySet[ConsentEvent]:
    qs = ConsentEvent.objects.filter(business=business)
    if contact is not None:
        qs = qs.filter(contact=contact)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs.select_related("contact", "campaign", "form", "evidence", "recorded_by").order_by(
        "seq"
    )


def consent_event_get(*, business: Business, event_uuid) -> ConsentEvent:
    event = (
        ConsentEvent.objects.filter(
            business=business, uuid=_uuid(event_uuid, "Consent event not found.")
        )
        .select_related("contact", "campaign", "form", "evidence")
        .first()
    )
    if event is None:
        raise NotFound("Consent event not found.")
    return event


def optin_form_list(*, business: Business) -> QuerySet[OptInForm]:
    return OptInForm.objects.filter(business=business).prefetch_related("campaigns")


def optin_form_get(*, business: Business, form_uuid) -> OptInForm:
    form = OptInForm.objects.filter(
        business=business, uuid=_uuid(form_uuid, "Form not found.")
    ).first()
    if form is None:
        raise NotFound("Form not found.")
    return form


def optin_form_public(*, form_uuid) -> OptInForm:
    """The public form: looked up by its unguessable UUID, active only; with its business
    and its campaigns (prefetched, in the campaigns' own order).

    One statement written once per process (``accounts.db``): every submission of the
    public form asks it, and the ORM compiled the same form, business and campaigns query
    (select_related and a prefetch: two round trips) on each. The same statement reads the
    privacy policy and terms in force (``OptInForm.policy_version``, the evidence: a round
    trip and an ORM compile before). The number that texts "Reply YES" is the worker's
    (``tasks.optin_form_reply_yes``), not the request's.
    """
    now = timezone.now()
    params: list = []
    for kind in POLICY_KINDS:
        params += [kind, now]
    params.append(_uuid(form_uuid, "Form not found."))

    def read() -> list:
        with connection.cursor() as cursor:
            cursor.execute(_form_public_sql(), params)
            return cursor.fetchall()

    # a submission's first statement: it stands in for CONN_HEALTH_CHECKS' SELECT 1
    rows = db.read_health_checked(read)
    if not rows:
        raise NotFound("Form not found.")
    widths = [db.width(m) for m in (OptInForm, Business, Campaign)]
    bounds = [sum(widths[:i]) for i in range(len(widths) + 1)]
    part = [slice(bounds[i], bounds[i + 1]) for i in range(len(widths))]
    form = db.instance(OptInForm, rows[0][part[0]])
    form.business = db.instance(Business, rows[0][part[1]])
    campaigns = [db.instance(Campaign, r[part[2]]) for r in rows if r[bounds[2]] is not None]
    # what prefetch_related("campaigns") leaves on the form: form.campaigns.all() is this
    prefetched = form.campaigns.all()
    vars(prefetched).update(_result_cache=campaigns, _prefetch_done=True)
    vars(form)["_prefetched_objects_cache"] = {"campaigns": prefetched}
    versions = rows[0][bounds[-1] :]
    vars(form).update(
        policy_versions_in_force=[
            f"{kind}:{version}" if version is not None else ""
            for kind, version in zip(POLICY_KINDS, versions, strict=True)
        ],
    )
    return form


@functools.cache
def _form_public_sql() -> str:
    quote = connection.ops.quote_name
    m2m = OptInForm._meta.get_field("campaigns")
    through = quote(OptInForm.campaigns.through._meta.db_table)
    campaign = quote(Campaign._meta.db_table)
    selected = ", ".join(
        db.columns(model, alias)
        for model, alias in ((OptInForm, "f"), (Business, "b"), (Campaign, "c"))
    )
    # the version in force of each kind: policies.documents.current_versions' reading
    # (published, in effect now, the newest by effective date then id)
    in_force = ", ".join(
        f"(SELECT d.version FROM {quote(PolicyDocument._meta.db_table)} d "  # noqa: S608
        "WHERE d.kind = %s AND d.published_at IS NOT NULL AND d.effective_at <= %s "
        "ORDER BY d.effective_at DESC, d.id DESC LIMIT 1)"
        for _ in POLICY_KINDS
    )
    return (
        f"SELECT {selected}, {in_force} "  # noqa: S608 - the models' own names
        f"FROM {quote(OptInForm._meta.db_table)} f "
        f"JOIN {quote(Business._meta.db_table)} b ON b.id = f.business_id "
        f"LEFT JOIN {through} fc ON fc.{quote(m2m.m2m_column_name())} = f.id "
        f"LEFT JOIN {campaign} c ON c.id = fc.{quote(m2m.m2m_reverse_name())} "
        # Campaign.Meta.ordering, as the prefetch had it (tested against the ORM's)
        f"WHERE f.uuid = %s AND f.is_active ORDER BY c.created_at DESC, c.id DESC"
    )


def contact_import_list(*, business: Business) -> QuerySet[ContactImport]:
    return ContactImport.objects.filter(business=business).defer("content")


def contact_import_get(*, business: Business, import_uuid) -> ContactImport:
    imp = ContactImport.objects.filter(
        business=business, uuid=_uuid(import_uuid, "Import not found.")
    ).first()
    if imp is None:
        raise NotFound("Import not found.")
    return imp


def campaign_for_business(*, business: Business, campaign_uuid):
    """Resolve a campaign uuid from a request within the business (or NotFound)."""
    campaign = Campaign.objects.filter(
        business=business, uuid=_uuid(campaign_uuid, "Campaign not found.")
    ).first()
    if campaign is None:
        raise NotFound("Campaign not found.")
    return campaign


def campaigns_for_business(*, business: Business):
    return Campaign.objects.filter(business=business).order_by("id")


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_uuid: str = ""
    reason: str = ""


def ledger_verify(*, business: Business) -> ChainReport:
    """Recompute the business's hash chain; name the first event that does not fit."""
    prev = hashing.GENESIS
    expected_seq = 1
    checked = 0
    # plain values, not model instances: verifying 100k events stays a matter of seconds
    events = (
        ConsentEvent.objects.filter(business=business)
        .order_by("seq")
        .values(
            *CHAIN_COLUMNS,
            "pk",
            "prev_hash",
            "hash",
            "contact__uuid",
            "campaign__uuid",
            "form__uuid",
            "campaign_id",
            "form_id",
        )
    )
    evidence = {
        row[0]: row[1:]
        for row in ConsentEvidence.objects.filter(business=business, erased_at=None).values_list(
            "event_id", "ip", "user_agent", "data"
        )
    }

    def broken(event, reason):
        return ChainReport(False, checked, event.seq, str(event.uuid), reason)

    for row in events.iterator(chunk_size=5000):
        event = SimpleNamespace(**row)
        if event.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                expected_seq,
                "",
                f"event #{expected_seq} is missing (next found is #{event.seq})",
            )
        if event.prev_hash != prev:
            return broken(event, "prev_hash does not match the previous event's hash")
        fields = hashing.chain_fields(
            event,
            business_uuid=business.uuid,
            contact_uuid=event.contact__uuid,
            campaign_uuid=event.campaign__uuid or "",
            form_uuid=event.form__uuid or "",
        )
        if hashing.event_hash(fields, prev) != event.hash:
            return broken(event, "the event's content does not match its hash")
        if event.pk in evidence:
            ip, user_agent, data = evidence[event.pk]
            digest = hashing.evidence_digest(ip=ip, user_agent=user_agent, data=data)
            if digest != event.evidence_sha256:
                return broken(event, "the evidence (IP, user agent, data) was changed")
        prev = event.hash
        expected_seq += 1
        checked += 1
    head = ChainHead.objects.filter(business=business).first()
    if head is not None and (head.seq != checked or head.hash != prev):
        return ChainReport(
            False,
            checked,
            checked + 1 if head.seq > checked else head.seq,
            "",
            f"the chain head says #{head.seq}, the ledger ends at #{checked} (rows removed?)",
        )
    return ChainReport(True, checked)


def contact_status_summary(*, business: Business, contacts) -> dict[int, str]:
    """contact id -> opted_in | pending | opted_out (one query for a page of contacts)."""
    qs = ConsentState.objects.filter(business=business).exclude(scope_key=ALL)
    if contacts is not None:
        qs = qs.filter(contact_id__in=[c.pk for c in contacts])
    rank = {"OPTED_IN": 3, "PENDING": 2, "OPTED_OUT": 1}
    names = {3: "opted_in", 2: "pending", 1: "opted_out"}
    best: dict[int, int] = {}
    for contact_id, status in qs.values_list("contact_id", "status"):
        best[contact_id] = max(best.get(contact_id, 0), rank[status])
    all_out = ConsentState.objects.filter(
        business=business, scope_key=ALL, status=ConsentState.Status.OPTED_OUT
    )
    out = {cid: names[r] for cid, r in best.items()}
    if contacts is None or contacts:
        for cid in all_out.values_list("contact_id", flat=True):
            out[cid] = "opted_out"
    return out
