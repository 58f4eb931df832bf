"""The pure engine, table-driven, on the shipped rules (no database)."""

import pytest

from policies.engine import (
    check_campaign,
    check_message,
    compile_rules,
    load_fixture,
    normalise,
    screen_business,
    shipped_rules,
)
from policies.engine import links as L
from policies.engine.fingerprint import fingerprint, hamming, simhash
from policies.engine.normalize import TEXT

RULES = shipped_rules()
BRAND = ["brightsmile.com"]
STOP = " Reply STOP to opt out."


def verdict(body, kind="transactional", brand=BRAND, campaign=None):
    d = check_message(body, RULES, kind=kind, brand_domains=brand, campaign=campaign)
    return d.decision, d.categories


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("Get a PAYDAY l0an", ["get", "a", "payday", "loan"]),
        ("с\u0430sh n\u200bow", ["cash", "now"]),  # Cyrillic letters, zero-width space
        ("C A S H fast", ["cash", "fast"]),
        ("l.o.a.n", ["loan"]),
        ("caaaash", ["cash"]),
        ("vi@gra", ["viagra"]),
        ("Ｖｉａｇｒａ", ["viagra"]),  # fullwidth
        ("Crédit", ["credit"]),
        ("ar15 covid19 9am", ["ar15", "covid19", "9am"]),  # model numbers are not leetspeak
        ("P E R S O N A L   L O A N", ["personal", "loan"]),
        ("v 4 p e $", ["vape"]),
    ],
)
def test_normalisation(raw, words):
    assert [w[TEXT] for w in normalise(raw).words] == words


@pytest.mark.parametrize(
    ("body", "kind", "decision", "category"),
    [
        ("Get a PAYDAY l0an today!" + STOP, "marketing", "block", "lending"),
        ("Cheap v1agra, no prescription needed", "conversational", "block", "pharma"),
        ("casinno bonus: free spinz now", "conversational", "block", "gambling"),  # misspelt
        ("Best c\u0430nn\u0430bis in town", "conversational", "block", "cannabis"),  # homoglyphs
        ("Buy W E E D today", "conversational", "block", "cannabis"),
        ("Book your cleaning at bit.ly/3xYz" + STOP, "marketing", "block", "link_shortener"),
        ("Pay at https://pay-invoices.net/4821", "transactional", "block", "unbranded_link"),
        ("Results: http://203.0.113.15/r", "transactional", "block", "obfuscated_link"),
        ("Login: https://brightsmile.com@evil.tld/x", "transactional", "block", "obfuscated_link"),
        ("Confirm at brlghtsmile.com/c", "transactional", "block", "obfuscated_link"),
        ("See www.xn--brghtsmile-x3b.com", "transactional", "block", "obfuscated_link"),
        ("Book at bit[.]ly/abc", "transactional", "block", "link_shortener"),
        ("20% off whitening this week at brightsmile.com", "marketing", "block", "missing_opt_out"),
        ("We are closed Friday.", "informational", "block", "missing_opt_out"),
        ("Make $500 a day from home!" + STOP, "marketing", "block", "work_from_home"),
        ("get some can nabis today", "conversational", "block", "cannabis"),  # split word
        ("kasino bonus tonight", "conversational", "block", "gambling"),  # sound-alike letter
        ("best weeed in town", "conversational", "block", "cannabis"),  # stretched letters
        ("Chip in $5 before midnight to beat them!", "conversational", "block", "political"),
        (
            "Re-elect Mayor Lee! Paid for by Friends of Lee." + STOP,
            "marketing",
            "block",
            "political",
        ),
    ],
)
def test_blocks(body, kind, decision, category):
    got, categories = verdict(body, kind)
    assert got == decision
    assert categories[0] == category or category in categories


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("Hi Maria, your cleaning is tomorrow at 10:30am. Reply C to confirm.", "transactional"),
        ("Flu shots and booster shots available Saturday." + STOP, "informational"),
        ("Our cast iron cooking pot is back in stock!" + STOP, "marketing"),
        ("Our therapist Dr. Reed is accepting new patients." + STOP, "informational"),
        ("Weed control special for your lawn!" + STOP, "marketing"),
        ("Hot glue gun workshop Saturday." + STOP, "marketing"),
        ("Enjoy the fireworks! Closed July 4th." + STOP, "informational"),
        ("Book at https://brightsmile.com/book or book.brightsmile.com" + STOP, "marketing"),
        ("Questions? Email info@brightsmile.com or call 555-201-3344.", "transactional"),
        ("We are a smoke-free and vape-free office." + STOP, "informational"),
        ("A great investment in your smile! Free consult." + STOP, "marketing"),
        ("Sale ends Friday." + " Txt STOP to end", "marketing"),
        ("New hours, STOP2END", "informational"),
        ("Thanks! See you soon 👨‍👩‍👧", "conversational"),
        ("Now.In stock: new shades." + STOP, "marketing"),
        ("Pay day is Friday for all staff, thanks team!", "conversational"),
        ("A chocolate chip in every bite." + STOP, "marketing"),
        ("The shot won't hurt you, promise!", "conversational"),
        ("Naked cakes and cocktail dresses, root beer floats too." + STOP, "marketing"),
    ],
)
def test_near_misses_pass(body, kind):
    assert verdict(body, kind) == ("allow", [])


@pytest.mark.parametrize(
    "text",
    [
        "Phở, bún bò Huế, cơm tấm. Gọi trước để lấy món.",  # Vietnamese: Latin with marks
        "Tiệm nail Việt: manicure, pedicure, gel x.",
        "Sửa quần áo, may đồ theo yêu cầu.",
        # Korean, Chinese, Japanese and Thai grammar on English words: no look-alike letters
        "Seoul Garden BBQ입니다! 오늘 저녁 7시 예약 confirmed 되었습니다.",
        "Golden Dragon: 你的order已经ready了, 欢迎来取.",
        "Sakura: Wi-Fiは無料です. Lunch setは11時から.",
        "Bangkok Kitchen: Pad Thaiครับ ready for pickup.",
    ],
)
def test_latin_letters_with_marks_are_not_look_alikes(text):
    assert verdict(text, "conversational") == ("allow", [])
    d = screen_business(
        name="Saigon Corner", industry_description=text, website="https://x.com", rules=RULES
    )
    assert d.decision == "allow", d.reasons
    # a Cyrillic letter inside a Latin word still is one
    assert "evasion" in verdict("Phở сash now", "conversational")[1]
    assert "evasion" in verdict("BBQ입니다 саsh now", "conversational")[1]


def test_reason_is_explained_with_span_and_brand_hint():
    body = "Book now: bit.ly/abc"
    d = check_message(body, RULES, kind="transactional", brand_domains=["brightsmile.com"])
    (reason,) = d.reasons
    assert reason.rule_id == "link.shortener"
    assert reason.message == "bit.ly is a public link shortener; use a link on brightsmile.com."
    s, e = reason.span
    assert body[s:e] == "bit.ly/abc"


def test_evasion_is_reported_after_the_content_category():
    d = check_message("p4yd4y l0ans", RULES, kind="conversational", brand_domains=[])
    assert d.categories == ["lending", "evasion"]


def test_conformance_with_campaign():
    campaign = {"usecase": "ACCOUNT_NOTIFICATION", "embedded_link": False, "embedded_phone": False}
    d = check_message(
        "Your bill is ready at brightsmile.com/pay. Call 555-201-3344. 20% off cleanings!",
        RULES,
        kind="transactional",
        brand_domains=BRAND,
        campaign=campaign,
    )
    ids = {r.rule_id for r in d.reasons}
    assert {"conformance.embedded_link", "conformance.embedded_phone"} <= ids
    assert "conformance.marketing_content" in ids
    ok = check_message(
        "20% off cleanings at brightsmile.com!" + STOP,
        RULES,
        kind="marketing",
        brand_domains=BRAND,
        campaign={"usecase": "MARKETING", "embedded_link": True, "embedded_phone": True},
    )
    assert ok.decision == "allow"


def test_business_screen():
    assert (
        screen_business(
            "Bright Smile", "Family dental clinic", "https://brightsmile.com", RULES
        ).decision
        == "allow"
    )
    bad = screen_business(
        "QuickCash", "Payday loans and cash advances", "https://quickcash.com", RULES
    )
    assert bad.decision == "block" and bad.categories[0] == "lending"
    site = screen_business("QC LLC", "Financial services", "https://paydayloansnow.com", RULES)
    assert "lending" in site.categories
    review = screen_business(
        "North Advisors", "Financial planning for families", "https://na.com", RULES
    )
    assert review.decision == "review"


def test_campaign_check():
    d = check_campaign(
        usecase="POLITICAL",
        sub_usecases=[],
        description="Get out the vote texts",
        message_flow="Web form",
        samples=["Vote for Jane! bit.ly/x"],
        flags={"direct_lending": True},
        brand_name="Jane",
        brand_domains=["jane.com"],
        rules=RULES,
    )
    ids = {r.rule_id for r in d.reasons}
    assert {"usecase.political", "campaign.flag.direct_lending", "link.shortener"} <= ids
    ok = check_campaign(
        usecase="ACCOUNT_NOTIFICATION",
        sub_usecases=[],
        description="Appointment reminders for dental patients",
        message_flow="Patients opt in on our intake form",
        samples=["Bright Smile: your cleaning is tomorrow at 9am. Reply STOP to opt out."],
        flags={},
        brand_name="Bright Smile",
        brand_domains=BRAND,
        rules=RULES,
    )
    assert ok.decision == "allow"


def test_rules_recompile_with_new_data():
    data = load_fixture()
    data["terms"].append(
        {
            "id": "content.custom.zorblax",
            "category": "fraud_deceptive",
            "phrase": "zorblax",
            "exceptions": [],
        }
    )
    rules = compile_rules(data)
    assert rules.etag != RULES.etag
    assert check_message("zorblax now", rules, kind="conversational").decision == "block"
    # the same rules before the edit (no learned layer on either side: the learned model's
    # reading of a made-up word is not what this test is about)
    before = compile_rules(load_fixture())
    assert check_message("zorblax now", before, kind="conversational").decision == "allow"


def test_link_parsing_edge_cases():
    assert [lk.host for lk in L.find_links("mail info@brightsmile.com")] == []
    assert L.find_links("bit dot ly/abc")[0].obfuscated_dots
    assert L.is_ip_host("3232235777")


def test_fingerprints_fold_case_and_lookalikes():
    a = "Big SALE today at our store, come by!"
    b = "big sale tоday at our store, come by!"  # Cyrillic o
    assert fingerprint(a) == fingerprint(b)
    near = simhash("Big sale today at our store, come by Anna!")
    assert hamming(simhash(a), near) < hamming(simhash(a), simhash("Your invoice is ready"))


@pytest.mark.parametrize(
    ("body", "rule_id", "category"),
    [
        # a query right after the host is still the link's path
        ("Pay at https://brightsmile.com?aff_id=3", "link.affiliate_params", "lead_generation"),
        ("Pay at https://brightsmile.com/p?utm_source=x&aff_id=3", "link.affiliate_params", None),
        ("Pay at https://shop.example.com/p?aff_id=3", "link.affiliate_params", None),
        # brand.com@other.tld without a scheme opens other.tld
        ("Login at brightsmile.com@evil.tld/x now", "link.userinfo", "obfuscated_link"),
        ("Visit 192.168.4.20/login", "link.ip_host", "obfuscated_link"),
        ("Book at brightsmile[.]com/x", "link.obfuscated_dots", "obfuscated_link"),
        ("Book at evilsite[.]com/x", "link.obfuscated_dots", "obfuscated_link"),
    ],
)
def test_link_rules(body, rule_id, category):
    d = check_message(body, RULES, kind="transactional", brand_domains=BRAND)
    assert d.decision == "block"
    # the learned layer may add its own reading of the words ("Login at ... now" reads as
    # fraud): what is pinned here is the link rule's reason
    links = [r for r in d.reasons if not r.rule_id.startswith("learned.")]
    assert [r.rule_id for r in links] == [rule_id]
    assert links[0].category == (category or links[0].category)


def test_own_link_with_a_query_and_no_path_is_allowed():
    assert verdict("Pay at https://brightsmile.com?ref=abc") == ("allow", [])
    (link,) = L.find_links("Pay at https://brightsmile.com?ref=abc")
    assert (link.host, link.path) == ("brightsmile.com", "?ref=abc")


def test_userinfo_link_without_scheme_spans_its_path():
    body = "Login at brightsmile.com@evil.tld/x now"
    d = check_message(body, RULES, kind="transactional", brand_domains=BRAND)
    (reason,) = [r for r in d.reasons if not r.rule_id.startswith("learned.")]
    s, e = reason.span
    assert body[s:e] == "brightsmile.com@evil.tld/x"
    assert "really opens evil.tld" in reason.message


@pytest.mark.parametrize("body", ["Version 2.co ships", "Room 12.io", "Ref x.zzqq"])
def test_numbers_and_unknown_tlds_are_not_links(body):
    assert L.find_links(body) == []


def test_obfuscated_own_domain_is_asked_to_be_written_plainly():
    (reason,) = check_message(
        "Book at brightsmile[.]com/x", RULES, kind="transactional", brand_domains=BRAND
    ).reasons
    assert reason.message.endswith("write it plainly.")


def test_lookalike_of_an_internationalised_brand_domain():
    # the brand is registered in punycode (bücher.com); bucher.com imitates it
    d = check_message(
        "see bucher.com/x", RULES, kind="transactional", brand_domains=["xn--bcher-kva.com"]
    )
    assert [r.rule_id for r in d.reasons] == ["link.lookalike"]
    # a brand that is not valid punycode is compared as written
    d = check_message("see bucher.com/x", RULES, kind="transactional", brand_domains=["xn--zz.com"])
    assert [r.rule_id for r in d.reasons] == ["link.unbranded"]


@pytest.mark.parametrize(
    ("body", "needs_opt_out"),
    [
        ("Big sale ends Friday, stop by!", True),  # "stop" without an instruction
        ("Sale Friday! Send the word STOP if you want no more texts.", False),
        # Spanish wordings (the inbound keywords STOP, BAJA, ALTO, PARAR... opt out too)
        ("Tamales de puerco, docena $18. Responde STOP para cancelar", False),
        ("Clases de salsa los martes. Responda STOP para salir", False),
        ("Nieves 2x1 los martes. Envía BAJA para no recibir más mensajes", False),
        ("Corte de cabello $15 hoy. ALTO para salir", False),
        ("Oferta: 30% en salas y comedores todo el mes", True),
        ("Our Palo Alto store has new spring colors, send us a photo!", True),  # needs a verb
        ("Pasa por la baja de precios este fin de semana", True),
    ],
)
def test_opt_out_instruction_found_near_the_keyword(body, needs_opt_out):
    got = verdict(body, "marketing")
    assert got == (("block", ["missing_opt_out"]) if needs_opt_out else ("allow", []))


def test_fuzzy_memo_stays_bounded_and_verdicts_unchanged():
    rules = compile_rules(load_fixture())  # its own memo
    for start in range(0, 100_001, 1000):
        check_message(
            " ".join(f"w{i:06d}x" for i in range(start, start + 1000)),
            rules,
            kind="conversational",
        )
    assert len(rules.content.fuzzy_memo) <= 100_000
    assert check_message("casinno bonus", rules, kind="conversational").decision == "block"


def test_business_screen_reviews_a_website_that_is_a_bare_ip():
    d = screen_business("Bright Smile", "Family dental clinic", "http://203.0.113.5:8080/", RULES)
    assert d.decision == "review"
    assert [r.rule_id for r in d.reasons] == ["business.website_ip"]


@pytest.mark.parametrize(
    ("name", "website", "rule_id"),
    [
        ("Bright Smile", "https://bit.ly/abc", "business.website_shortener"),
        ("Hair By Jazmin", "https://cutt.ly/jazminbraids", "business.website_shortener"),
        # a redirect or offer page on someone else's domain, below its home page
        ("Harbor View Dental", "https://best-smile-offers.top/r?c=1", "business.website_redirect"),
        ("Elite Auto Warranty", "https://claim-coverage-now.xyz/eaw", "business.website_redirect"),
        ("Glow Beauty Supply", "https://track-promo-link.info/glowbs", "business.website_redirect"),
    ],
)
def test_business_screen_blocks_a_website_that_is_not_the_business_own(name, website, rule_id):
    d = screen_business(name, "Family dental clinic", website, RULES)
    assert d.decision == "block"
    assert [r.rule_id for r in d.reasons] == [rule_id]


@pytest.mark.parametrize(
    ("name", "website"),
    [
        ("Tony's Pizza Kitchen", "https://www.facebook.com/tonyspizzakitchen"),  # no redirect word
        ("Bright Smile Dental", "https://brightsmile-offers.com/promo/june"),  # names the business
        ("Glow Beauty Supply", "https://track-promo-link.info"),  # a home page, however named
        ("Sunrise Realty", "https://sunriserealty.com/listings?city=phoenix"),
    ],
)
def test_business_screen_allows_own_and_platform_websites(name, website):
    d = screen_business(name, "Homes for sale and family dental care", website, RULES)
    assert not [r for r in d.reasons if r.rule_id.startswith("business.website")]


@pytest.mark.parametrize(
    ("flag", "rule_id", "decision"),
    [
        ("affiliate_marketing", "campaign.flag.affiliate_marketing", "block"),
        ("age_gated", "campaign.flag.age_gated", "review"),
    ],
)
def test_campaign_flags(flag, rule_id, decision):
    d = check_campaign(
        usecase="ACCOUNT_NOTIFICATION",
        sub_usecases=[],
        description="Appointment reminders for dental patients",
        message_flow="Patients opt in on our intake form",
        samples=["", "Bright Smile: your cleaning is tomorrow at 9am. Reply STOP to opt out."],
        flags={flag: True},
        brand_name="Bright Smile",
        brand_domains=BRAND,
        rules=RULES,
    )
    assert d.decision == decision
    assert [r.rule_id for r in d.reasons] == [rule_id]


@pytest.mark.parametrize(
    ("body", "rule_ids"),
    [
        # with a scheme the brackets hide the host just as they do without one
        ("Book at https://bit[.]ly/x", ["link.shortener", "link.obfuscated_dots"]),
        ("Book at https://brightsmile[.]com/x", ["link.obfuscated_dots"]),
        ("Book at https://evil(dot)com/x", ["link.obfuscated_dots"]),
        ("Book at www.evil[.]com", ["link.obfuscated_dots"]),
    ],
)
def test_obfuscated_dots_in_a_url_with_scheme(body, rule_ids):
    d = check_message(body, RULES, kind="transactional", brand_domains=BRAND)
    assert [r.rule_id for r in d.reasons] == rule_ids
