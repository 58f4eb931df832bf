"""Rows of hand-written SQL as model instances: ``accounts.db``'s ``columns``, ``width`` and
``instance``, where the send API's lower apps (accounts, campaigns) reach them too; one
implementation (issue 18, finding 9)."""

from accounts.db import columns, instance, width

__all__ = ["columns", "instance", "width"]
