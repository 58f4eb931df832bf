"""Portal navigation entries of messaging (imported by messaging.urls at start-up)."""

from accounts.navigation import NavItem, register
from accounts.roles import Cap

register(NavItem(30, "Compose", "messaging:compose", Cap.SEND))
register(NavItem(32, "Messages", "messaging:message-list", Cap.VIEW))
register(NavItem(34, "Broadcasts", "messaging:broadcast-list", Cap.VIEW))
register(NavItem(36, "Inbox", "messaging:inbox", Cap.VIEW))
register(NavItem(75, "Webhooks", "messaging:webhooks", Cap.MANAGE_CAMPAIGNS))
