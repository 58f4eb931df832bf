"""The portal shell's registries: each app registers from its own AppConfig.ready(), and a
navigation entry at a taken order is refused (the menu's order never depends on which app
loaded first)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.portal import dashboard, navigation, readiness
from accounts.roles import Cap


def test_a_navigation_entry_at_a_taken_order_is_refused():
    taken = next(i for i in navigation._items if i.label == "Dashboard")
    navigation.register(taken)  # the same entry again: nothing changes
    assert navigation._items.count(taken) == 1
    with pytest.raises(ImproperlyConfigured, match="order 10 is taken by 'Dashboard'"):
        navigation.register(navigation.NavItem(taken.order, "Elsewhere", "portal:team", Cap.VIEW))
    assert all(i.label != "Elsewhere" for i in navigation._items)


def test_every_app_registered_its_entries_at_start_up():
    labels = {i.label: i.url_name for i in navigation._items}
    assert labels["Compose"] == "messaging:compose"  # no longer an import side effect
    assert labels["Contacts"] == "consent:contacts"
    assert labels["Numbers"] == "campaigns:numbers"
    assert labels["Compliance"] == "governance:compliance"
    assert labels["My account"] == "portal:my-account"
    orders = [i.order for i in navigation._items]
    assert len(orders) == len(set(orders))
    sources = {s.items.__module__: s.order for s in dashboard._attention}
    assert sources == {"campaigns.panels": 10, "messaging.panels": 20, "policies.panels": 30}
    panels = {p.template: p.context.__module__ for p in dashboard.registered()}
    assert panels == {
        "accounts/panels/attention.html": "accounts.portal.dashboard",
        "accounts/panels/activity.html": "messaging.panels",
        "accounts/panels/numbers.html": "messaging.panels",
        "reminders/panel.html": "messaging.reminders.panels",
    }
    steps = [c.__module__ for c in readiness._checks]
    assert steps[0] == "accounts.portal.readiness"
    assert {"campaigns.readiness", "consent.apps"} <= set(steps)


@pytest.mark.django_db
def test_the_menu_is_five_labelled_groups_and_a_role_sees_only_its_entries(client, login, members):
    """22 entries in one list read as a wall; the menu groups them under five labels, each
    list named by its label for screen readers, and a role without an entry's capability
    sees neither the entry nor a label left with nothing under it."""
    import re

    from accounts.roles import Role

    login(client, members[Role.OWNER])
    html = client.get("/app/").content.decode()
    nav = html[html.index('id="portal-nav"') : html.index("</nav>", html.index('id="portal-nav"'))]
    labels = re.findall(r'<p class="nav-section" id="(nav-\d+)">([^<]+)</p>', nav)
    assert [name for _id, name in labels] == [
        "Texting",
        "Clients",
        "Registration",
        "Developers",
        "Account",
    ]
    for nav_id, _name in labels:
        assert f'aria-labelledby="{nav_id}"' in nav
    texting = nav[nav.index(">Texting<") : nav.index(">Clients<")]
    assert ">Compose<" in texting and ">Inbox<" in texting and ">Contacts<" not in texting
    assert nav.index(">Dashboard<") < nav.index(">Texting<")

    login(client, members[Role.VIEWER])
    nav = client.get("/app/").content.decode()
    viewer = re.findall(r'<p class="nav-section" id="nav-\d+">([^<]+)</p>', nav)
    assert ">API keys<" not in nav and ">Webhooks<" not in nav
    assert "Developers" not in viewer  # no empty group
