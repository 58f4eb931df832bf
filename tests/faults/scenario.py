"""A broadcast to thousands of contacts on many numbers, and the judgement of what reached
the carrier. Shared by the fault tests (tests/faults/test_faults.py).

Seeding goes through the real bulk paths: one consent import (COPY into the hash-chained
ledger, attested evidence, a tag per number) instead of one ledger call per contact, and
one broadcast per number (``broadcast_create`` / ``broadcast_start``, which fan out through
``message_enqueue_many`` with every gate on).
"""

import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections

from consent import services as consent_services
from messaging import ratecap, services
from messaging.models import Message
from tests.factories.campaigns import PhoneNumberFactory
from tests.factories.messaging import sending_number

S = Message.Status
UNSETTLED = (*Message.WAITING, S.SENDING, S.HELD)
BODY = "Reminder from the clinic: your visit is tomorrow. Reply STOP to opt out."


@dataclass
class Broadcasts:
    """What one scenario sent: its numbers, its broadcasts (one per number) and the
    recipients who opted out while their message waited."""

    business: object
    numbers: list
    per_number: int
    broadcasts: list = field(default_factory=list)
    stopped: dict = field(default_factory=dict)  # phone -> message uuid it must not get
    seed_s: float = 0.0
    fan_out_s: float = 0.0
    started_at: float = 0.0  # when the first broadcast started (Unix time)
    fanned_out_at: float = 0.0  # when the last one had fanned out

    @property
    def total(self) -> int:
        return len(self.numbers) * self.per_number

    def messages(self):
        return Message.objects.filter(business=self.business, broadcast__in=self.broadcasts)

    def settled(self) -> bool:
        return not self.messages().filter(status__in=UNSETTLED).exists()


def seed(business, *, numbers: int, per_number: int) -> Broadcasts:
    """``numbers`` active numbers on one approved automated campaign (a registered number
    pool) and ``numbers × per_number`` consenting contacts, tagged by number, imported
    through the consent importer."""
    t = time.monotonic()
    first = sending_number(business=business)
    campaign = first.campaign
    campaign.number_pool = True  # more than 49 numbers on a campaign must be a pool
    # The carriers' limits as a registrar would report them for a large registration, above
    # what the scenario sends: the fault stage judges the number cap (the carriers' limits
    # have their own tests and benchmark, messaging/README.md).
    campaign.att_tpm = 100 * numbers * settings.MESSAGING_RATE_LIMIT
    campaign.save(update_fields=["number_pool", "att_tpm"])
    campaign.brand.tmobile_daily_cap = 100 * numbers * per_number
    campaign.brand.save(update_fields=["tmobile_daily_cap"])
    lines = [first] + [
        PhoneNumberFactory(business=business, campaign=campaign) for _ in range(numbers - 1)
    ]
    rows = ["phone,consent_date,consent_source,consent_method,tags"]
    rows += [
        f"+1646{2000000 + i:07d},2026-01-15,Clinic web form,web_form,fault-{i % numbers}"
        for i in range(numbers * per_number)
    ]
    imp = consent_services.contact_import_create(
        business=business, filename="faults.csv", content=("\n".join(rows) + "\n").encode()
    )
    imp.mapping = {
        "fields": {
            k: k for k in ("phone", "consent_date", "consent_source", "consent_method", "tags")
        },
        "custom": [],
    }
    imp.campaign = campaign
    imp.attestation_text = "Patients ticked the SMS box on our web form."
    imp.status = imp.Status.QUEUED
    imp.save()
    imp = consent_services.contact_import_run(import_id=imp.pk)
    assert imp.consented_count == numbers * per_number, (imp.status, imp.error)
    return Broadcasts(
        business=business, numbers=lines, per_number=per_number, seed_s=time.monotonic() - t
    )


def fan_out(b: Broadcasts, *, opt_out_last: bool = True) -> None:
    """One broadcast per number, started one after the other while the workers drain; right
    after each start its last recipient says STOP (STOPALL), so that message waits behind
    ``per_number - 1`` others under the cap and must be stopped by the re-check at dispatch."""
    t = time.monotonic()
    b.started_at = time.time()
    for i, number in enumerate(b.numbers):
        draft = services.broadcast_create(
            business=b.business,
            name=f"Closure notice {i}",
            body=BODY,
            kind="transactional",
            from_number=number,
            tags=[f"fault-{i}"],
        )
        started = services.broadcast_start(broadcast=draft)
        assert started.recipient_count == b.per_number, started.recipient_count
        b.broadcasts.append(started)
        if opt_out_last:
            last = (
                Message.objects.filter(broadcast=started)
                .select_related("contact")
                .order_by("-id")
                .first()
            )
            consent_services.consent_record_opt_out(
                business=b.business, contact=last.contact, method="KEYWORD", scope_all=True
            )
            b.stopped[last.to_phone] = str(last.uuid)
    b.fan_out_s = time.monotonic() - t
    b.fanned_out_at = time.time()
    # every recipient consented: nothing is held or refused at the gates, only the opted-out
    # ones at dispatch
    at_fan_out = Counter(b.messages().values_list("status", flat=True))
    assert S.HELD not in at_fan_out, at_fan_out
    assert at_fan_out[S.BLOCKED] <= len(b.stopped), at_fan_out


def accepted_lines(carrier) -> int:
    """Lines in the carrier's audit log so far (first acceptances and dedup answers), cheap
    enough to poll."""
    path = carrier.audit_log_path
    return path.read_bytes().count(b"\n") if path.exists() else 0


def wait_lines(carrier, n: int, timeout: float = 120) -> int:
    """Block until the carrier's audit log has ``n`` lines; returns how many it has."""
    deadline = time.monotonic() + timeout
    while (have := accepted_lines(carrier)) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"the carrier logged {have} of {n} lines within {timeout:.0f} s")
        time.sleep(0.05)
    return have


class Fault(threading.Thread):
    """Runs ``action`` (which waits for its own moment, e.g. ``wait_lines``) beside the main
    thread, so the fault lands while the broadcasts are still fanning out and draining.
    ``check()`` joins it and re-raises what went wrong in it; ``result`` is its return."""

    def __init__(self, action, name: str = "fault") -> None:
        super().__init__(name=name, daemon=True)
        self.action, self.result, self.error = action, None, None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.action()
        except BaseException as exc:  # re-raised in check()
            self.error = exc
        finally:
            connections.close_all()  # this thread's own connections, if it used any

    def check(self, timeout: float = 180):
        self.join(timeout)
        if self.is_alive():
            raise AssertionError(f"the {self.name} injector was still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.result


def wait(predicate, timeout: float, what: str, b: Broadcasts | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    left = dict(Counter(b.messages().values_list("status", flat=True))) if b else {}
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; messages: {left}")


def judge(fault: str, carrier, b: Broadcasts, **extra) -> dict:
    """The figures of one scenario, from the carrier's audit log and the database; printed
    as one line."""
    limit, window = settings.MESSAGING_RATE_LIMIT, settings.MESSAGING_RATE_WINDOW
    log = carrier.audit()
    firsts = [e for e in log if not e.get("duplicate")]
    per_number = defaultdict(list)
    for e in firsts:
        per_number[e["from"]].append((e["accepted_at"], e["segments"]))
    landed = Counter(e["message_id"] for e in firsts)
    statuses = {str(u): s for u, s in b.messages().values_list("uuid", "status")}
    stopped_ids = set(b.stopped.values())
    expected = {u for u in statuses if u not in stopped_ids}
    windows = [ratecap.max_in_window(per_number[n.e164], window=window) for n in b.numbers]
    accepted_at = sorted(t for t, _ in (x for v in per_number.values() for x in v))
    drain_s = (accepted_at[-1] - b.started_at) if accepted_at else 0.0
    blocked_reasons: Counter = Counter(
        r.get("code")
        for reasons in b.messages().filter(status=S.BLOCKED).values_list("reasons", flat=True)
        for r in (reasons or [])
        if r.get("gate") == "consent"
    )
    facts = {
        "numbers": len(b.numbers),
        "broadcasts": len(b.broadcasts),
        "enqueued": len(statuses),
        "sent": len(landed),
        "blocked_opt_out": sum(1 for u in stopped_ids if statuses.get(u) == S.BLOCKED),
        "blocked_other": sum(
            1 for u, s in statuses.items() if s == S.BLOCKED and u not in stopped_ids
        ),
        "failed": sum(1 for s in statuses.values() if s == S.FAILED),
        "unsettled": sum(1 for s in statuses.values() if s in UNSETTLED),
        "lost": len(expected - set(landed)),
        "sent_twice": sum(1 for v in landed.values() if v > 1),
        "carrier_dedup": len(log) - len(firsts),
        "unexpected": len(set(landed) - set(statuses)),
        "after_opt_out": sum(1 for e in firsts if e["to"] in b.stopped),
        "max_window": max(windows),
        "numbers_at_cap": sum(1 for w in windows if w == limit),
        "limit": f"{limit}/{window:g}s",
        "seed_s": round(b.seed_s, 1),
        "fan_out_s": round(b.fan_out_s, 1),
        "drain_s": round(drain_s, 1),
        "msg_per_s": round(len(landed) / drain_s, 1) if drain_s else 0.0,
        **extra,
    }
    # why the opted-out ones were stopped: the consent re-check at dispatch, with its code
    facts["blocked_by"] = ",".join(f"consent.{k}:{v}" for k, v in blocked_reasons.items())
    print(f"\nFAULT {fault}: " + " ".join(f"{k}={v}" for k, v in facts.items()))
    return facts


def assert_invariants(facts: dict, b: Broadcasts) -> None:
    limit = settings.MESSAGING_RATE_LIMIT
    assert facts["enqueued"] == b.total, facts
    assert facts["unsettled"] == 0, facts
    assert facts["lost"] == 0, facts
    assert facts["sent_twice"] == 0, facts
    assert facts["unexpected"] == 0, facts
    assert facts["after_opt_out"] == 0, facts
    assert facts["blocked_opt_out"] == len(b.stopped), facts
    assert facts["blocked_other"] == 0, facts
    assert facts["failed"] == 0, facts
    assert facts["max_window"] <= limit, facts
    assert facts["sent"] == b.total - len(b.stopped), facts
    # the scenario's premise: every number had a backlog, so the cap was reached, not undershot
    assert facts["numbers_at_cap"] == len(b.numbers), facts
    for broadcast in b.broadcasts:
        assert services.broadcast_refresh(broadcast=broadcast).status == "COMPLETED"
