"""Portal pages of consent, by page area; the views the URLconf names are re-exported here:

- ``contacts`` — contacts, a contact's consent timeline and proof, the proof pack, access and
  erasure requests, the contacts' export;
- ``forms`` — the opt-in forms a business embeds on its website;
- ``imports`` — contact imports;
- ``common`` — what they share.

Thin: forms check shape, services decide, selectors read. Every page is tenant-scoped through
accounts.tenancy.TenantMixin; ids in URLs go through selectors that take the business
(another business's object is a 404).
"""

from .contacts import (
    ContactConsentView,
    ContactCreateView,
    ContactDetailView,
    ContactEraseView,
    ContactExportView,
    ContactListView,
    ContactOptOutView,
    ContactProofView,
    ContactsExportView,
    ProofView,
    SubjectRequestView,
)
from .forms import (
    FormCreateView,
    FormEditView,
    FormListView,
)
from .imports import (
    ImportDetailView,
    ImportListView,
    ImportProgressView,
    ImportReportView,
    ImportUploadView,
)

__all__ = [
    "ContactConsentView",
    "ContactCreateView",
    "ContactDetailView",
    "ContactEraseView",
    "ContactExportView",
    "ContactListView",
    "ContactOptOutView",
    "ContactProofView",
    "ContactsExportView",
    "FormCreateView",
    "FormEditView",
    "FormListView",
    "ImportDetailView",
    "ImportListView",
    "ImportProgressView",
    "ImportReportView",
    "ImportUploadView",
    "ProofView",
    "SubjectRequestView",
]
