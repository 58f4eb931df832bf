"""Rules between the database and the engine's plain-data shape (the fixture format).

``fixture_load`` also runs inside the data migration, so it takes a model getter
(``apps.get_model`` there, the real models otherwise) and touches nothing else.
"""

from collections.abc import Callable
from typing import Any

from django.utils import timezone

ModelGetter = Callable[[str, str], Any]


def fixture_load(get_model: ModelGetter, data: dict, *, overwrite_edited: bool = False) -> dict:
    """Upsert a rules fixture. Rows staff edited (updated_by set) are kept unless
    ``overwrite_edited``. Returns counts per kind."""
    Category = get_model("policies", "Category")
    Term = get_model("policies", "Term")
    Shortener = get_model("policies", "ShortenerDomain")
    UseCase = get_model("policies", "ProhibitedUseCase")
    Pattern = get_model("policies", "Pattern")
    RuleSet = get_model("policies", "RuleSet")
    now = timezone.now()
    counts = {"categories": 0, "terms": 0, "shorteners": 0, "usecases": 0, "patterns": 0}
    cats = {}
    for c in data.get("categories", []):
        obj, _ = Category.objects.update_or_create(
            slug=c["slug"], defaults={"name": c["name"], "explain": c.get("explain", "")}
        )
        cats[obj.slug] = obj
        counts["categories"] += 1
    existing = {t.rule_id: t for t in Term.objects.all()}
    new_terms = []
    for scope, rows in (
        ("content", data.get("terms", [])),
        ("industry", data.get("industries", [])),
        ("vocabulary", data.get("vocabulary", [])),
    ):
        for t in rows:
            fields = {
                "category": cats[t["category"]],
                "scope": t.get("scope", scope),
                "phrase": t["phrase"],
                "verdict": t.get("verdict", "block"),
                "fuzzy": t.get("fuzzy", scope != "vocabulary"),
                "exceptions": "\n".join(t.get("exceptions", [])),
                "explain": t.get("explain", ""),
                "enabled": t.get("enabled", True),
            }
            old = existing.get(t["id"])
            if old is None:
                new_terms.append(Term(rule_id=t["id"], updated_at=now, **fields))
            elif old.updated_by_id is None or overwrite_edited:
                for k, v in fields.items():
                    setattr(old, k, v)
                old.save()
            counts["terms"] += 1
    marketing = cats.get("campaign_mismatch")
    for i, phrase in enumerate(data.get("marketing_phrases", [])):
        rid = f"conformance.marketing.{i}"
        if rid in existing and existing[rid].updated_by_id is not None and not overwrite_edited:
            continue
        if rid in existing:
            existing[rid].phrase = phrase
            existing[rid].save()
        else:
            new_terms.append(
                Term(
                    rule_id=rid,
                    category=marketing,
                    scope="marketing",
                    phrase=phrase,
                    fuzzy=False,
                    updated_at=now,
                )
            )
        counts["terms"] += 1
    Term.objects.bulk_create(new_terms, batch_size=500)
    # rules the new fixture dropped are switched off (staff-edited ones are left alone)
    shipped = {
        t["id"]
        for t in data.get("terms", []) + data.get("industries", []) + data.get("vocabulary", [])
    }
    shipped |= {f"conformance.marketing.{i}" for i in range(len(data.get("marketing_phrases", [])))}
    counts["disabled"] = (
        Term.objects.filter(updated_by__isnull=True, enabled=True)
        .exclude(rule_id__in=shipped)
        .update(enabled=False)
    )
    Pattern.objects.exclude(rule_id__in=[p["id"] for p in data.get("patterns", [])]).update(
        enabled=False
    )
    have = set(Shortener.objects.values_list("domain", flat=True))
    Shortener.objects.bulk_create(
        [
            Shortener(domain=s["domain"], note=s.get("note", ""), updated_at=now)
            for s in data.get("shorteners", [])
            if s["domain"] not in have
        ]
    )
    counts["shorteners"] = len(data.get("shorteners", []))
    for u in data.get("usecases", []):
        UseCase.objects.update_or_create(
            rule_id=u["id"],
            defaults={
                "usecase": u["usecase"],
                "category": cats[u["category"]],
                "verdict": u.get("verdict", "block"),
                "explain": u.get("explain", ""),
            },
        )
        counts["usecases"] += 1
    for p in data.get("patterns", []):
        Pattern.objects.update_or_create(
            rule_id=p["id"],
            defaults={
                "category": cats[p["category"]],
                "scope": p.get("scope", "content"),
                "label": p.get("label", ""),
                "regex": p["regex"],
                "needs": p.get("needs", ""),
                "verdict": p.get("verdict", "block"),
                "explain": p.get("explain", ""),
            },
        )
        counts["patterns"] += 1
    rs = RuleSet.objects.first()
    if rs is None:
        RuleSet.objects.create(
            version=data.get("version", ""),
            revision=1,
            fuzzy_stoplist=data.get("fuzzy_stoplist", []),
            updated_at=now,
        )
    else:
        rs.version = data.get("version", "")
        rs.revision += 1
        rs.fuzzy_stoplist = data.get("fuzzy_stoplist", [])
        rs.updated_at = now
        rs.save()
    return counts


def rules_export() -> dict:
    """The rules in the database, in the engine's (and the fixture's) shape."""
    from .models import Category, Pattern, ProhibitedUseCase, RuleSet, ShortenerDomain, Term

    rs = RuleSet.objects.first()
    terms = []
    industries = []
    vocabulary = []
    marketing = []
    for t in Term.objects.filter(enabled=True).select_related("category"):
        row = {
            "id": t.rule_id,
            "category": t.category.slug,
            "phrase": t.phrase,
            "verdict": t.verdict,
            "fuzzy": t.fuzzy,
            "exceptions": [e.strip() for e in t.exceptions.splitlines() if e.strip()],
            "explain": t.explain,
            "scope": t.scope,
        }
        if t.scope == "content":
            terms.append(row)
        elif t.scope == "industry":
            industries.append(row)
        elif t.scope == "vocabulary":
            vocabulary.append(row)
        else:
            marketing.append(t.phrase)
    return {
        "version": f"{rs.version}+r{rs.revision}" if rs else "",
        "categories": [
            {"slug": c.slug, "name": c.name, "explain": c.explain} for c in Category.objects.all()
        ],
        "terms": terms,
        "industries": industries,
        "vocabulary": vocabulary,
        "marketing_phrases": marketing,
        "shorteners": [
            {"domain": d}
            for d in ShortenerDomain.objects.filter(enabled=True).values_list("domain", flat=True)
        ],
        "usecases": [
            {
                "id": u.rule_id,
                "usecase": u.usecase,
                "category": u.category.slug,
                "verdict": u.verdict,
                "explain": u.explain,
            }
            for u in ProhibitedUseCase.objects.filter(enabled=True).select_related("category")
        ],
        "patterns": [
            {
                "id": p.rule_id,
                "category": p.category.slug,
                "scope": p.scope,
                "label": p.label,
                "regex": p.regex,
                "needs": p.needs,
                "verdict": p.verdict,
                "explain": p.explain,
            }
            for p in Pattern.objects.filter(enabled=True).select_related("category")
        ],
        "fuzzy_stoplist": rs.fuzzy_stoplist if rs else [],
    }
