"""Issue 17, session 9: general fixes for what a fifth hold-out found, each with examples of
its own (never the hold-out's rows): offer and redirect pages as a business's website, a
description that says it texts public shortener links, a fee that releases a grant, calls
to vote for a candidate (English, Spanish, Vietnamese, Chinese) and veiled threats that no
word-sense veto overrules, and at sign-up a flat denial of a category, a regulated lender,
help for people facing collectors, a home office's furniture in a website's name."""

import pytest

from policies.engine import compile_rules, load_fixture, screen_business, shipped_rules
from policies.engine import signup as S
from policies.engine.checks import check_message
from policies.engine.knowledge import intents
from policies.engine.normalize import canonical_phrase

RULES = shipped_rules()  # rules + knowledge + the learned layer, as the services run them


def _content(decision) -> set[str]:
    return {c for c in decision.categories if c != "missing_opt_out"}


# --- 1. a website on someone else's offer or redirect page ------------------------------


@pytest.mark.parametrize(
    ("name", "website"),
    [
        # an offer word in a cheap top-level domain's host, a tracking path
        ("Summit Plumbing & Drain", "https://hotdealz-center.top/r/5521"),
        # log-in words on a cheap domain, a ref query
        ("Lakeside Family Dentistry", "https://patient-secure-login.icu/p?ref=lfd"),
        # an offer word run into the host, a /go path with a click id; the name's generic
        # word ("auto") in the host does not make it the business's own
        ("Rita's Auto Body", "https://autopromosdaily.com/go?cid=rita"),
        ("Green Acres Landscaping", "https://bonus-offers.buzz/landing"),
    ],
)
def test_a_website_on_an_offer_page_is_blocked(name, website):
    d = screen_business(name, "Lawn care, dental care and auto body work.", website, RULES)
    assert d.decision == "block"
    assert [r.rule_id for r in d.reasons] == ["business.website_redirect"]
    assert d.reasons[0].category == "unbranded_link"


@pytest.mark.parametrize(
    ("name", "website"),
    [
        ("Joe's Auto Repair", "https://joesautorepair.com/coupons"),  # names the business
        ("Smiles Family Dental", "https://smiles.dental/book?ref=google"),
        ("Dr. Ana Ruiz DDS", "https://smiles.dental/book?ref=google"),  # no offer word
        ("Harbor Deli", "https://harbordeli.com/deals?ref=fb"),  # its own deals page
        ("Corner Books", "https://secure-checkout.com/cornerbooks"),  # no tracking, .com
        ("Best Deals Furniture", "https://bestdeals.click/sale?ref=ig"),  # its own name
        ("Maple Yoga", "https://mapleyoga.xyz/schedule"),  # a cheap TLD alone
        ("Ideal Smiles Ortho", "https://ideal-braces.top/go?src=fb"),  # "ideal" is no deal
    ],
)
def test_ordinary_websites_are_not_offer_pages(name, website):
    d = screen_business(name, "Family dental care, books, furniture and yoga.", website, RULES)
    assert not [r for r in d.reasons if r.rule_id.startswith("business.website")]


def test_a_home_page_is_never_an_offer_page():
    assert not S.offer_page_website("hotdealz-center.top", "https://hotdealz-center.top/", "X")
    assert S.offer_page_website("hotdealz-center.top", "https://hotdealz-center.top/r/1", "X")


# --- 2. a description that says the business texts public shortener links --------------


@pytest.mark.parametrize(
    "description",
    [
        "Dance studio. We send recital ticket links as bit.ly links to keep texts short.",
        "Food truck: daily location pin texted as a tinyurl.com link.",
    ],
)
def test_a_business_that_texts_shortener_links_is_blocked(description):
    d = screen_business("Twirl Studio", description, "", RULES)
    assert d.decision == "block"
    assert "business.texted_shortener" in [r.rule_id for r in d.reasons]
    assert "link_shortener" in d.categories


@pytest.mark.parametrize(
    "description",
    [
        "Dance studio. We never use bit.ly links; every link is on twirlstudio.com.",
        "Dance studio: recital tickets at twirlstudio.com/tickets.",
    ],
)
def test_a_denied_or_own_link_is_not_a_texted_shortener(description):
    d = screen_business("Twirl Studio", description, "https://twirlstudio.com", RULES)
    assert "business.texted_shortener" not in [r.rule_id for r in d.reasons]


# --- 3. a fee that releases a grant or a prize -------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule_id", "category"),
    [
        (
            "Congratulations, you qualify for a $9,500 federal grant. Pay the $99 release fee "
            "to unlock your grant today.",
            "intent.advance_fee",
            "fraud_deceptive",
        ),
        (
            "A small processing fee releases your inheritance within 24 hours.",
            "intent.advance_fee",
            "fraud_deceptive",
        ),
        (
            "Free grants you never have to pay back! Just cover the filing fee of $45.",
            "intent.advance_fee",
            "fraud_deceptive",
        ),
        # a prize held for a fee: a prize scam, as the training corpus labels them
        (
            "Receive your winnings now: a one-time clearance fee applies.",
            "intent.prize_fee",
            "sweepstakes",
        ),
        (
            "You were picked! A $4.99 handling fee releases your grand prize.",
            "intent.prize_fee",
            "sweepstakes",
        ),
    ],
)
def test_a_fee_to_release_a_grant_or_prize_is_a_scam(text, rule_id, category):
    found = [it.rule_id for it, _ in intents(text, RULES.knowledge)]
    assert rule_id in found
    d = check_message(text + " Reply STOP to opt out", RULES, kind="marketing")
    assert d.decision == "block" and category in d.categories


@pytest.mark.parametrize(
    "text",
    [
        "Your scholarship award letter is attached; there is no fee of any kind.",
        "We never charge a processing fee to release your grant.",
        "We never charge a processing fee to release your prize.",
        "Grant writing workshop: learn to apply for arts grants. $20 materials fee.",
        "Claim your free coffee at the counter, no purchase needed.",
        "Raffle winners: claim your prize at the front desk, no fee.",
    ],
)
def test_ordinary_fees_grants_and_prizes_are_not_advance_fee_scams(text):
    found = [it.rule_id for it, _ in intents(text, RULES.knowledge)]
    assert "intent.advance_fee" not in found and "intent.prize_fee" not in found


def test_a_fee_to_release_a_grant_blocks_a_business_whose_grant_words_only_reviewed():
    d = screen_business(
        "Capital Grants Desk",
        "Free government grant money for small businesses. Our one-time release fee "
        "unlocks your grant the same week.",
        "",
        RULES,
    )
    assert d.decision == "block"
    assert "intent.advance_fee" in [r.rule_id for r in d.reasons]


# --- 4. calls to vote and veiled threats, buried in ordinary newsletters -----------------

_NEWSLETTER = (
    "Riverside Bakery news: our sourdough class moves to Thursdays, the new rye loaf is in, "
    "and the summer hours start June 1 (7am-3pm). {clause} Thanks for baking with us! "
    "Reply STOP to opt out"
)


@pytest.mark.parametrize(
    "clause",
    [
        "We're backing our neighbor - please re-elect Sam Okafor on November 4!",
        "Vote for Councilwoman Priya Shah on Tuesday.",
        "Elect Marcus Lee for School Board this fall.",
        "Vota por Elena Ruiz para concejal el 5 de noviembre.",
        "Xin hãy bầu cho chị Lan Trần vào Hội đồng Thành phố.",
        "請投票給市議員候選人陳大明。",
        "Vote YES on Measure K for the new library.",
    ],
)
def test_a_call_to_vote_for_a_candidate_is_political_in_a_long_newsletter(clause):
    d = check_message(_NEWSLETTER.format(clause=clause), RULES, kind="marketing")
    assert d.decision == "block"
    assert "political" in d.categories


@pytest.mark.parametrize(
    "clause",
    [
        "Vote for your favorite pie in our Best Pie poll!",
        "Please vote for us in the Riverside Gazette's Best Bakery contest.",
        "We elected to stay open on Labor Day.",
        "Our mayor of fun, Rosie the dog, says hi.",
        "The city council approved our patio permit, so outdoor seating is back.",
    ],
)
def test_ordinary_votes_and_councils_are_not_political(clause):
    text = _NEWSLETTER.format(clause=clause)
    found = [it.rule_id for it, _ in intents(text, RULES.knowledge)]
    assert not [f for f in found if f.startswith("intent.political")]


@pytest.mark.parametrize(
    "clause",
    [
        "To whoever keeps blocking the dumpster: next time your truck won't be the only "
        "thing that gets smashed.",
        "Keep parking in my spot and next time it won't just be your tires.",
        "It would be a shame if something happened to your garden, neighbor.",
    ],
)
def test_a_veiled_threat_in_a_long_newsletter_is_blocked(clause):
    d = check_message(_NEWSLETTER.format(clause=clause), RULES, kind="informational")
    assert d.decision == "block"
    assert "hate_violence" in d.categories


@pytest.mark.parametrize(
    "text",
    [
        "Our mugs won't be the only thing that gets a makeover this spring!",
        "Something fun will happen at the fair, see you there.",
        "Sale ends Sunday, next time it won't be this cheap.",
    ],
)
def test_ordinary_phrases_are_not_veiled_threats(text):
    found = [it.rule_id for it, _ in intents(text, RULES.knowledge)]
    assert "intent.veiled_threat" not in found


def test_the_firm_intents_survive_the_word_sense_veto():
    """The same newsletter with the layer's vetoes and without them: the call to vote is
    flagged either way (the plain rules alone flag it too)."""
    text = _NEWSLETTER.format(clause="Proud to stand with Mayor Dana Cole - re-elect Cole!")
    bare = compile_rules(load_fixture())
    bare.knowledge = RULES.knowledge
    assert "political" in check_message(text, bare, kind="marketing").categories
    assert "political" in check_message(text, RULES, kind="marketing").categories


# --- 5. ordinary businesses whose words share a trade's -----------------------------------


@pytest.mark.parametrize(
    ("name", "description", "category"),
    [
        # a flat denial of the whole category
        (
            "Island Roots Kava",
            "Kava lounge with traditional shells and live ukulele. We don't sell kratom or "
            "alcohol.",
            "kratom",
        ),
        (
            "Mocktail Hour",
            "Zero-proof cocktail bar and bottle shop. We do not sell alcohol, cannabis or CBD.",
            "alcohol",
        ),
        # a regulated lender
        (
            "Prairie State Bank",
            "Community bank: checking, savings and home equity loans. Member FDIC, Equal "
            "Housing Lender. Fraud alerts and payment reminders.",
            "lending",
        ),
        (
            "Keystone Home Loans",
            "Mortgage broker (NMLS #20481) for first-time buyers: closing date reminders and "
            "document checklists.",
            "lending",
        ),
        # help for people facing collectors
        (
            "Eastside Consumer Law Clinic",
            "Free help for renters fighting debt collection lawsuits and wage garnishment. "
            "Court date reminders.",
            "debt_collection",
        ),
    ],
)
def test_ordinary_businesses_are_not_read_as_the_trade(name, description, category):
    d = screen_business(name, description, "", RULES)
    assert category not in d.categories


@pytest.mark.parametrize(
    ("name", "description", "category"),
    [
        # a qualified denial says less than a flat one
        ("Blue Lotus Kava", "Kava bar. We don't sell kratom to minors.", "kratom"),
        # a denial of one trade of a category that names two ("Cannabis and CBD")
        ("Leaf & Drop", "CBD tinctures and gummies. We don't sell cannabis.", "cannabis"),
        # a licence beside the high-risk trade
        ("QuickFund Loans", "Payday loans and cash advances. NMLS #5521.", "lending"),
        ("Mortgage Masters", "Mortgage broker offering refinancing and home equity.", "lending"),
        # a collector's own trade, whatever it mentions
        (
            "Apex Recovery Partners",
            "Debt collection agency for creditors. We handle debt collection lawsuits.",
            "debt_collection",
        ),
    ],
)
def test_the_trade_itself_is_still_flagged(name, description, category):
    d = screen_business(name, description, "", RULES)
    assert category in d.categories
    assert d.decision == "block"


def test_a_home_office_store_website_is_not_work_from_home():
    d = screen_business(
        "HomeDesk Supply",
        "Standing desks, task chairs and monitor arms; delivery texts.",
        "https://workfromhomechairs.com",
        RULES,
    )
    assert "work_from_home" not in d.categories
    d = screen_business(
        "HomeDesk Supply",
        "Earn $500 a day from your kitchen table, no experience needed.",
        "https://workfromhomechairs.com",
        RULES,
    )
    assert "work_from_home" in d.categories


def test_category_parts_read_the_category_names():
    parts = S.category_parts(RULES.categories)
    assert parts["kratom"] == [("kratom",)]
    assert parts["cannabis"] == [canonical_phrase("cannabis"), ("cbd",)]
    assert S.denied_categories("We do not sell kratom, CBD or alcohol.", parts) == {
        "kratom",
        "alcohol",
    }
    assert S.denied_categories("We do not sell kratom anymore.", parts) == set()
