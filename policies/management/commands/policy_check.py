"""Run messages or businesses (JSON lines) through the policy engine and the rules in the
database (the shipped ones right after ``migrate``).

    manage.py policy_check messages IN.jsonl --out OUT.jsonl
        in:  {"id", "body", "brand_domains": [...], "kind"}
    manage.py policy_check businesses IN.jsonl --out OUT.jsonl
        in:  {"id", "name", "industry_description", "website"}
    out: one line per input line {"id", "decision", "categories", "reasons"}; a line that
         cannot be read gets {"id", "decision": null, "error": "line N: ..."} and the
         command exits with status 1 after writing everything.
"""

import gc
import json
import re
import sys
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from policies import engine
from policies.decisions import Decision
from policies.engine.optout import KINDS_NEEDING_OPT_OUT
from policies.services import rules_current

KINDS = ("marketing", "informational", "transactional", "conversational")
# json.dumps(obj, ensure_ascii=False) builds this encoder anew for every line; one encoder
# writes the very same text
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
# a clean message's answer, as written after its id (see ``_line``)
_ALLOW_TAIL = _ENCODE({"decision": "allow", "categories": [], "reasons": []})[1:]


def _line(row_id, tail: str) -> str:
    """``_ENCODE({"id": row_id, **result}) + "\n"``, where ``tail`` is ``_ENCODE(result)``
    without its opening brace: the encoder writes a dict's items in order, ``", "`` between
    them, so the id's text and the answer's (encoded once per distinct content) join into
    the very same line."""
    return '{"id": ' + _ENCODE(row_id) + ", " + tail + "\n"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _write(dst, text: str) -> None:
    """Write one answer line. A lone surrogate read from the input (``"id": "\\ud83d"``,
    valid JSON) cannot be written as UTF-8: it is written back escaped, as it was read."""
    try:
        dst.write(text)
    except UnicodeEncodeError:
        dst.write(_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def _decode(line: str):
    """``json.loads(line)``, through orjson (3-4x faster) where the two read alike. orjson
    refuses some of what ``json`` accepts (NaN, escaped lone surrogates): those lines, and
    bad JSON, go to ``json.loads``, which answers as before (its own error message). It
    reads an integer past 64 bits as a float: only the id is written back as it was read,
    so a line whose id is a float (or holds numbers) is read again by ``json``."""
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)
    if type(row) is dict and isinstance(row.get("id"), float | list | dict):
        return json.loads(line)
    return row


class Command(BaseCommand):
    help = "Check messages or businesses from a JSON-lines file against the policy rules."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["messages", "businesses"])
        parser.add_argument("input", help="JSON-lines input file ('-' for stdin)")
        parser.add_argument("--out", required=True, help="JSON-lines output file ('-' for stdout)")

    def handle(self, *args, what, input, out, **options):
        rules = rules_current()
        # the compiled rules, model and caches live for the whole run: move them out of the
        # collector's sight, and collect the young generation less often (a line allocates
        # a few hundred objects and no cycles; the default threshold of 700 ran a collection
        # every few lines, ~10 % of the time per line on all-distinct files)
        gc.collect()
        gc.freeze()
        gc.set_threshold(50_000, 20, 20)
        # the same content gets the same answer: each distinct (body, kind, domains) or
        # business is checked once (bulk files repeat templates a lot)
        self._seen: dict[tuple, str] = {}
        try:
            src = sys.stdin if input == "-" else open(input, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {input}: {exc}") from exc
        dst = sys.stdout if out == "-" else open(out, "w", encoding="utf-8")  # noqa: SIM115
        errors = done = 0
        try:
            for n, line in enumerate(src, 1):
                if not line.strip():
                    continue
                row_id = None
                try:
                    row = _decode(line)
                    if not isinstance(row, dict):
                        raise ValueError("each line must be a JSON object")
                    row_id = row.get("id")
                    tail = self._check_cached(what, row, rules)
                except (ValueError, TypeError) as exc:
                    errors += 1
                    error: dict[str, Any] = {
                        "decision": None,
                        "categories": [],
                        "reasons": [],
                        "error": f"line {n}: {exc}",
                    }
                    self.stderr.write(f"line {n}: {exc}")
                    tail = _ENCODE(error)[1:]
                _write(dst, _line(row_id, tail))
                done += 1
        finally:
            if src is not sys.stdin:
                src.close()
            if dst is not sys.stdout:
                dst.close()
        if out != "-":
            self.stdout.write(f"{done} lines checked, {errors} unreadable -> {out}")
        if errors:
            raise CommandError(f"{errors} line(s) could not be checked (see the error field).")

    def _check_cached(self, what: str, row: dict, rules) -> str:
        """The answer's text after the id (``_line``), once per distinct content."""
        try:
            key = (
                row.get("body"),
                row.get("kind"),
                tuple(row.get("brand_domains") or ()),
                row.get("name"),
                row.get("industry_description"),
                row.get("website"),
            )
            hash(key)
        except TypeError:  # unhashable (a dict where a string belongs): no cache, same error
            return self._tail(what, row, rules)
        got = self._seen.get(key)
        if got is None:
            got = self._tail(what, row, rules)
            if len(self._seen) >= 200_000:
                self._seen.clear()
            self._seen[key] = got
        return got

    @classmethod
    def _tail(cls, what: str, row: dict, rules) -> str:
        decision = cls._check(what, row, rules)
        return _ENCODE(decision.as_dict())[1:] if decision.reasons else _ALLOW_TAIL

    @staticmethod
    def _check(what: str, row: dict, rules) -> Decision:
        if what == "messages":
            body = row.get("body")
            if not isinstance(body, str):
                raise ValueError("'body' must be a string")
            kind = row.get("kind") or "marketing"
            if kind not in KINDS:
                raise ValueError(f"'kind' must be one of {', '.join(KINDS)}")
            domains = row.get("brand_domains") or []
            if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
                raise ValueError("'brand_domains' must be a list of strings")
            assert kind in KINDS_NEEDING_OPT_OUT or kind in KINDS
            return engine.check_message(body, rules, kind=kind, brand_domains=domains)
        for field in ("name", "industry_description", "website"):
            if row.get(field) is not None and not isinstance(row.get(field), str):
                raise ValueError(f"'{field}' must be a string")
        return engine.screen_business(
            row.get("name") or "",
            row.get("industry_description") or "",
            row.get("website") or "",
            rules,
        )
