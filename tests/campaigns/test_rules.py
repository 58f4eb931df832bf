"""TCR's field rules and CTIA's content rules, table-driven, without the database."""

import pytest

from campaigns import rules
from tests.campaigns.conftest import brand_input, campaign_input


def test_a_complete_brand_passes():
    assert rules.brand_errors(brand_input()) == {}


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"ein": "12345"}, "ein", "9 digits"),
        ({"ein": "00-1234567"}, "ein", "IRS prefix"),
        ({"ein": ""}, "ein", "required"),
        ({"entity_type": "LLC"}, "entity_type", "entityType"),
        ({"vertical": "CANDY"}, "vertical", "23"),
        ({"country": "CA"}, "country", "US"),
        ({"company_name": ""}, "company_name", "legal company name"),
        ({"email": "nope"}, "email", "email"),
        ({"phone": "555-0100"}, "phone", "E.164"),
        ({"state": "Illinois"}, "state", "2-letter"),
        ({"postal_code": "6270"}, "postal_code", "5-digit"),
        ({"website": "not a url"}, "website", "full address"),
        ({"website": ""}, "website", "required"),
        ({"entity_type": "PUBLIC_PROFIT"}, "stock_symbol", "stock symbol"),
        ({"entity_type": "PUBLIC_PROFIT", "stock_exchange": "NONE"}, "stock_exchange", "exchange"),
        ({"entity_type": "PUBLIC_PROFIT"}, "business_contact_email", "contact email"),
        ({"entity_type": "SOLE_PROPRIETOR"}, "ein", "without an EIN"),
        ({"entity_type": "SOLE_PROPRIETOR", "ein": ""}, "first_name", "sole proprietor"),
        ({"entity_type": "SOLE_PROPRIETOR", "ein": ""}, "mobile_phone", "mobile"),
        ({"alt_business_id": "123"}, "alt_business_id_type", "DUNS"),
    ],
)
def test_brand_rules_name_the_field_and_the_rule(overrides, field, words):
    errors = rules.brand_errors(brand_input(**overrides))
    assert field in errors, errors
    assert any(words.lower() in m.lower() for m in errors[field]), errors[field]


def test_sole_proprietor_and_public_company_complete():
    sole = brand_input(
        entity_type="SOLE_PROPRIETOR", ein="", company_name="", first_name="Ann",
        last_name="Lee", mobile_phone="+12025550111", website="",
    )  # fmt: skip
    assert rules.brand_errors(sole) == {}
    public = brand_input(
        entity_type="PUBLIC_PROFIT", stock_symbol="BSD", stock_exchange="NASDAQ",
        business_contact_email="ir@brightsmile.com",
    )  # fmt: skip
    assert rules.brand_errors(public) == {}


def test_a_complete_campaign_passes_every_rule():
    data = campaign_input()
    assert rules.campaign_field_errors(data) == {}
    assert rules.campaign_content_errors(data, brand_name="Bright Smile") == {}
    assert (
        rules.campaign_eligibility_errors(data, entity_type="PRIVATE_PROFIT", vertical="HEALTHCARE")
        == {}
    )


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"usecase": "SPAM"}, "usecase", "TCR's list"),
        ({"sub_usecases": ["MARKETING"]}, "sub_usecases", "2 to 5"),
        ({"sub_usecases": ["MARKETING"] * 6}, "sub_usecases", "2 to 5"),
        ({"sub_usecases": ["MARKETING", "MARKETING"]}, "sub_usecases", "once"),
        ({"sub_usecases": ["MARKETING", "POLITICAL"]}, "sub_usecases", "standard use case"),
        ({"usecase": "MARKETING"}, "sub_usecases", "Only MIXED"),
        ({"description": "Too short."}, "description", "40–4096"),
        ({"description": "x" * 4097}, "description", "40–4096"),
        ({"message_flow": "Web form."}, "message_flow", "40–2048"),
        ({"sample2": ""}, "sample2", "required"),
        ({"sample1": "Bright Smile: hi"}, "sample1", "20–1024"),
        ({"sample4": "Bright Smile: a fourth sample here."}, "sample4", "before sample"),
        ({"help_message": "Help!"}, "help_message", "20–320"),
        ({"optin_message": "x" * 321}, "optin_message", "20–320"),
        ({"optout_message": ""}, "optout_message", "required"),
        ({"optout_keywords": "STOP, END"}, "optout_keywords", "no spaces"),
        ({"optout_keywords": "END,QUIT"}, "optout_keywords", "STOP"),
        ({"help_keywords": "INFO"}, "help_keywords", "HELP"),
        ({"subscriber_optin": False}, "subscriber_optin", "opt in"),
        ({"subscriber_optout": False}, "subscriber_optout", "except 2FA"),
        ({"privacy_policy_link": "privacy"}, "privacy_policy_link", "https://"),
        (
            {"sample1": "Bright Smile: book at https://brightsmile.com/b. Reply STOP to opt out"},
            "embedded_link",
            "embeddedLink",
        ),
        ({"embedded_link": True}, "embedded_link", "show one"),
        (
            {"sample1": "Bright Smile: call 202-555-0188 to book. Reply STOP to opt out."},
            "embedded_phone",
            "embeddedPhone",
        ),
        (
            {"sub_usecases": ["ACCOUNT_NOTIFICATION", "MARKETING", "CUSTOMER_CARE"]},
            "sample1",
            "one sample per sub use case",
        ),
    ],
)
def test_campaign_field_rules(overrides, field, words):
    errors = rules.campaign_field_errors(campaign_input(**overrides))
    assert field in errors, errors
    assert any(words.lower() in m.lower() for m in errors[field]), errors[field]


def test_low_volume_and_2fa_shapes():
    assert "sub_usecases" not in rules.campaign_field_errors(
        campaign_input(usecase="LOW_VOLUME", sub_usecases=["MARKETING"])
    )
    assert "subscriber_optout" not in rules.campaign_field_errors(
        campaign_input(usecase="2FA", sub_usecases=[], subscriber_optout=False)
    )


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"sample1": "Your cleaning is on Tue 3pm. Reply STOP to opt out."}, "sample1", "brand"),
        ({"sample2": "Bright Smile: 20% off whitening this month only!"}, "sample2", "opt out"),
        (
            {"optin_message": "Bright Smile: thanks! Msg & data rates may apply. Reply HELP."},
            "optin_message",
            "now subscribed",
        ),
        (
            {"optin_message": "Bright Smile: You are now subscribed. Msg & data rates may apply. "
             "Reply HELP for help, STOP to opt out."},
            "optin_message",
            "how often",
        ),
        (
            {"optin_message": "Bright Smile: You are now subscribed, 4 msgs/month. Reply HELP "
             "for help, STOP to opt out."},
            "optin_message",
            "Msg & data rates may apply",
        ),
        (
            {"optin_message": "Bright Smile: You are now subscribed, 4 msgs/month. Msg & data "
             "rates may apply. Reply STOP to opt out."},
            "optin_message",
            "HELP",
        ),
        (
            {"optin_message": "Bright Smile: You are now subscribed, 4 msgs/month. Msg & data "
             "rates may apply. Reply HELP for help."},
            "optin_message",
            "opt out",
        ),
        (
            {"optin_message": "You are now subscribed, 4 msgs/month. Msg & data rates may "
             "apply. Reply HELP for help, STOP to opt out."},
            "optin_message",
            "brand name",
        ),
        ({"optout_message": "Bright Smile: you have been removed. Bye."}, "optout_message",
         "no more messages"),
        ({"help_message": "Bright Smile: we are here to help you out."}, "help_message",
         "way to reach you"),
    ],
)  # fmt: skip
def test_content_rules(overrides, field, words):
    errors = rules.campaign_content_errors(campaign_input(**overrides), brand_name="Bright Smile")
    assert field in errors, errors
    assert any(words.lower() in m.lower() for m in errors[field]), errors[field]


def test_informational_samples_need_no_opt_out_language():
    data = campaign_input(
        usecase="ACCOUNT_NOTIFICATION",
        sub_usecases=[],
        sample1="Bright Smile: your cleaning is on Tue at 3pm, see you then.",
        sample2="Bright Smile: your bill of $40 is due on May 1st, thank you.",
    )
    assert rules.campaign_content_errors(data, brand_name="Bright Smile") == {}


@pytest.mark.parametrize(
    ("overrides", "entity", "vertical", "field", "words"),
    [
        ({"usecase": "POLITICAL", "sub_usecases": []}, "PRIVATE_PROFIT", "RETAIL", "usecase",
         "Campaign Verify"),
        ({"usecase": "SWEEPSTAKE", "sub_usecases": []}, "PRIVATE_PROFIT", "RETAIL", "usecase",
         "Sweepstakes"),
        ({"direct_lending": True}, "PRIVATE_PROFIT", "FINANCIAL", "direct_lending", "lending"),
        ({"age_gated": True}, "PRIVATE_PROFIT", "RETAIL", "age_gated", "alcohol"),
        ({"affiliate_marketing": True}, "PRIVATE_PROFIT", "RETAIL", "affiliate_marketing",
         "lead generation"),
        ({}, "PRIVATE_PROFIT", "GAMBLING", "brand", "Gambling"),
        ({}, "SOLE_PROPRIETOR", "RETAIL", "usecase", "SOLE_PROPRIETOR use case"),
        ({"usecase": "SOLE_PROPRIETOR", "sub_usecases": []}, "PRIVATE_PROFIT", "RETAIL",
         "usecase", "only for sole proprietor"),
        ({"usecase": "CHARITY", "sub_usecases": []}, "PRIVATE_PROFIT", "NGO", "usecase",
         "non-profit"),
    ],
)  # fmt: skip
def test_eligibility_rules(overrides, entity, vertical, field, words):
    errors = rules.campaign_eligibility_errors(
        campaign_input(**overrides), entity_type=entity, vertical=vertical
    )
    assert field in errors, errors
    assert any(words.lower() in m.lower() for m in errors[field]), errors[field]
