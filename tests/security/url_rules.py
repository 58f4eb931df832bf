from accounts.roles import Cap
from tests.sweep import Rule

RULES = {
    "portal:second-factor": Rule("portal", cap=Cap.VIEW),
    "portal:second-factor-setup": Rule("portal", cap=Cap.VIEW),
    "portal:second-factor-verify": Rule("portal", cap=Cap.VIEW),
    "portal:second-factor-recovery": Rule("portal", cap=Cap.VIEW, method="post"),
    "portal:second-factor-disable": Rule("portal", cap=Cap.VIEW, method="post"),
    "portal:second-factor-team": Rule("portal", cap=Cap.MANAGE_BUSINESS, method="post"),
}
