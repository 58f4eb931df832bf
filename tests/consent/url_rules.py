from accounts.roles import Cap
from tests.factories.consent import ContactFactory, OptInFormFactory
from tests.sweep import Rule


def _contact(business):
    return {"contact_uuid": ContactFactory(business=business).uuid}


def _form(business):
    return {"form_uuid": OptInFormFactory(business=business).uuid}


def _import(business):
    from consent import services

    imp = services.contact_import_create(
        business=business, filename="sweep.csv", content=b"phone,name\n2025550100,A\n"
    )
    return {"import_uuid": imp.uuid}


RULES = {
    # public: the embeddable form; its own anti-forgery (origin + signed token) refuses
    # anonymous posts without an allowed Origin with 403, which is the behaviour under test
    "consent:public-form": Rule(
        "public", reason="the opt-in form people fill in on a business's site", kwargs=_form
    ),
    "consent:public-form-config": Rule(
        "public", reason="the embed script fetches the form (CORS)", kwargs=_form
    ),
    "consent:public-form-submit": Rule(
        "public",
        method="post",
        reason="people submit the opt-in form; refused (403) without an allowed origin",
        kwargs=_form,
        allowed_extra=(403,),
    ),
    "consent:contacts": Rule("portal", cap=Cap.VIEW),
    "consent:contact-create": Rule("portal", cap=Cap.MANAGE_CONTACTS),
    "consent:contacts-export": Rule("portal", cap=Cap.MANAGE_CONTACTS),
    "consent:subject": Rule("portal", cap=Cap.MANAGE_CONTACTS),
    "consent:contact": Rule("portal", cap=Cap.VIEW, kwargs=_contact),
    "consent:contact-consent": Rule(
        "portal",
        cap=Cap.MANAGE_CONTACTS,
        method="post",
        kwargs=_contact,
        data=lambda b, kw: {},
        allowed_extra=(400,),
    ),
    "consent:contact-opt-out": Rule(
        "portal", cap=Cap.MANAGE_CONTACTS, method="post", kwargs=_contact
    ),
    "consent:contact-export": Rule("portal", cap=Cap.MANAGE_CONTACTS, kwargs=_contact),
    "consent:contact-erase": Rule("portal", cap=Cap.MANAGE_CONTACTS, kwargs=_contact),
    "consent:contact-proof": Rule("portal", cap=Cap.VIEW, kwargs=_contact),
    "consent:proof": Rule("portal", cap=Cap.VIEW),
    "consent:forms": Rule("portal", cap=Cap.MANAGE_CONTACTS),
    "consent:form-create": Rule("portal", cap=Cap.MANAGE_CONTACTS),
    "consent:form": Rule("portal", cap=Cap.MANAGE_CONTACTS, kwargs=_form),
    "consent:imports": Rule("portal", cap=Cap.MANAGE_CONTACTS),
    "consent:import-create": Rule("portal", cap=Cap.MANAGE_CONTACTS),
    "consent:import": Rule("portal", cap=Cap.MANAGE_CONTACTS, kwargs=_import),
    "consent:import-progress": Rule("portal", cap=Cap.MANAGE_CONTACTS, kwargs=_import),
    "consent:import-report": Rule("portal", cap=Cap.MANAGE_CONTACTS, kwargs=_import),
}


def _event_data(business, kwargs):
    return {"action": "opt_out", "evidence": {"source": "sweep"}}


RULES.update(
    {
        "api-contacts": Rule("api", cap=Cap.VIEW),
        "api-contact": Rule("api", cap=Cap.VIEW, kwargs=_contact),
        "api-contact-consent": Rule("api", cap=Cap.VIEW, kwargs=_contact),
        "api-contact-export": Rule("api", cap=Cap.MANAGE_CONTACTS, kwargs=_contact),
        "api-contact-erase": Rule("api", cap=Cap.MANAGE_CONTACTS, method="post", kwargs=_contact),
        "api-consent-events": Rule("api", cap=Cap.VIEW),
        "api-consent-proof": Rule("api", cap=Cap.VIEW),
        "api-subject-export": Rule(
            "api",
            cap=Cap.MANAGE_CONTACTS,
            method="post",
            data=lambda b, kw: {"phone": "+13125550999"},
            allowed_extra=(404,),
        ),
        "api-subject-erase": Rule(
            "api",
            cap=Cap.MANAGE_CONTACTS,
            method="post",
            data=lambda b, kw: {"phone": "+13125550999"},
            allowed_extra=(404,),
        ),
        "api-optin-forms": Rule("api", cap=Cap.MANAGE_CONTACTS),
        "api-optin-form": Rule("api", cap=Cap.MANAGE_CONTACTS, kwargs=_form),
        "api-imports": Rule("api", cap=Cap.MANAGE_CONTACTS),
        "api-import": Rule("api", cap=Cap.MANAGE_CONTACTS, kwargs=_import),
        "api-import-start": Rule(
            "api",
            cap=Cap.MANAGE_CONTACTS,
            method="post",
            kwargs=_import,
            data=lambda b, kw: {"mapping": {"phone": "phone"}, "scope_kind": "marketing"},
            allowed_extra=(400,),
        ),
    }
)
