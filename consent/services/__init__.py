"""Every write of the consent app, by subject:

- ``ledger``: opt-ins, double opt-in confirmations, opt-outs, re-subscriptions (the hash
  chain and the consent state), the suppression list;
- ``contacts``: contacts, and a data subject's erasure and export;
- ``forms``: opt-in forms, their submissions and snapshots;
- ``signed``: uploaded signed consent records (file and SHA-256) and the opt-in on them;
- ``checkpoints``: the signed checkpoints of the ledger's chain heads;
- ``imports`` (entry points) and ``importer`` (reading and writing a CSV).

The public names are re-exported here; callers import ``consent.services``. ``phone_hash``,
``phone_normalize``, ``scope_key`` and ``FORM_FIELDS`` (what the form services accept)
belong to the pure modules (``phones``, ``scopes``, ``inputs``) and are re-exported for the
callers that have them from here.
"""

from ..inputs import FORM_FIELDS
from ..phones import phone_hash, phone_normalize
from ..scopes import scope_key
from .checkpoints import ledger_checkpoint
from .contacts import (
    contact_create,
    contact_erase,
    contact_export_record,
    contact_get_or_create,
    contact_phone_hash_store,
    contact_record_inbound,
    contact_update,
)
from .forms import (
    double_opt_in_text,
    form_snapshot_store,
    optin_form_create,
    optin_form_submit,
    optin_form_update,
)
from .imports import (
    contact_import_create,
    contact_import_progress,
    contact_import_run,
    contact_import_start,
)
from .ledger import (
    consent_confirm_double_opt_in,
    consent_record_opt_in,
    consent_record_opt_out,
    consent_record_reply_opt_in,
)
from .signed import consent_record_signed

__all__ = [
    "FORM_FIELDS",
    "consent_confirm_double_opt_in",
    "consent_record_opt_in",
    "consent_record_opt_out",
    "consent_record_reply_opt_in",
    "consent_record_signed",
    "contact_create",
    "contact_erase",
    "contact_export_record",
    "contact_get_or_create",
    "contact_import_create",
    "contact_import_progress",
    "contact_import_run",
    "contact_import_start",
    "contact_phone_hash_store",
    "contact_record_inbound",
    "contact_update",
    "double_opt_in_text",
    "form_snapshot_store",
    "ledger_checkpoint",
    "optin_form_create",
    "optin_form_submit",
    "optin_form_update",
    "phone_hash",
    "phone_normalize",
    "scope_key",
]
