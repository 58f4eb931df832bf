"""Sweep rules for message templates (portal and API)."""

from accounts.roles import Cap
from tests.sweep import Rule

BODY = "Hi {{ first_name }}, your visit is on Tue. Reply STOP to opt out."


def _template(business):
    from messaging.templating.models import MessageTemplate

    template = MessageTemplate.objects.create(business=business, name="t", body=BODY)
    return {"template_uuid": template.uuid}


RULES = {
    "templating:list": Rule("portal", cap=Cap.VIEW),
    "templating:detail": Rule("portal", cap=Cap.VIEW, kwargs=_template),
    "templating:delete": Rule("portal", cap=Cap.SEND, method="post", kwargs=_template),
    "api-templates": Rule("api", cap=Cap.VIEW),
    "api-template": Rule("api", cap=Cap.VIEW, kwargs=_template),
    "api-template-render": Rule(
        "api", cap=Cap.VIEW, method="post", kwargs=_template, data=lambda b, kw: {}
    ),
    "api-template-send": Rule(
        "api",
        cap=Cap.SEND,
        method="post",
        kwargs=_template,
        data=lambda b, kw: {"to": "+16465550100"},
    ),
}
