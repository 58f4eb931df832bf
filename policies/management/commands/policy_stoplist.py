"""Rebuild the fuzzy stoplist: the real words a misspelling match must never flag
(``casing`` is not ``casino``). Run it after adding rule words.

    manage.py policy_stoplist WORDLIST [--fixture PATH]

WORDLIST: a plain text file of English words, one per line or space-separated (the
shipped list was built from the ``english-words`` package's web2 and GCIDE lists). The new
stoplist goes into the database rule set (recorded in the rule history), or into the
fixture file with --fixture.
"""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from policies import engine
from policies.engine.normalize import stem
from policies.engine.terms import _fuzzy
from policies.models import RuleSet
from policies.rules_io import rules_export
from policies.services import rule_change_record


class Command(BaseCommand):
    help = "Rebuild the list of real words that misspelling matches must leave alone."

    def add_arguments(self, parser):
        parser.add_argument("wordlist")
        parser.add_argument("--fixture", help="Update this fixture file instead of the database.")

    def handle(self, *args: Any, wordlist: str, fixture: str | None = None, **options: Any) -> None:
        try:
            words = set(Path(wordlist).read_text(encoding="utf-8").lower().split())
        except OSError as exc:
            raise CommandError(f"Cannot read {wordlist}: {exc}") from exc
        data = json.loads(Path(fixture).read_text()) if fixture else rules_export()
        data = {**data, "fuzzy_stoplist": []}
        rules = engine.compile_rules(data)
        stop = sorted(
            {
                s
                for s in (stem(w) for w in words if w.isalpha())
                if _fuzzy(s, rules.content, frozenset()) or _fuzzy(s, rules.industry, frozenset())
            }
        )
        if fixture:
            data["fuzzy_stoplist"] = stop
            Path(fixture).write_text(json.dumps(data, indent=1, ensure_ascii=False))
        else:
            rs = RuleSet.objects.first()
            if rs is None:  # the stoplist lives on that row; without it the engine uses the fixture
                raise CommandError(
                    "The database has no rule set: load the rules first (policy_rules_load), "
                    "or update a fixture file with --fixture."
                )
            before = len(rs.fuzzy_stoplist)
            RuleSet.objects.filter(pk=rs.pk).update(fuzzy_stoplist=stop)
            rule_change_record(
                kind="RuleSet",
                rule="fuzzy_stoplist",
                action="update",
                before={"words": before},
                after={"words": len(stop)},
            )
        self.stdout.write(f"{len(stop)} real words kept away from misspelling matches.")
