"""REST API of consent, by subject; the views the URLconf names are re-exported here:

- ``contacts`` — contacts, their consent (grant, revoke, evidence), consent events, proof;
- ``rights`` — data-subject rights: export and erase, by contact or by phone;
- ``forms`` — opt-in forms;
- ``imports`` — contact imports;
- ``common`` — the contact and event shapes and what the views share.

Thin: parse, call one service or selector, serialize. Errors (ApplicationError, DRF
validation) come out in the one error shape.
"""

from .contacts import (
    ConsentEventListApi,
    ConsentProofApi,
    ContactConsentApi,
    ContactDetailApi,
    ContactListApi,
)
from .forms import (
    FormDetailApi,
    FormListApi,
)
from .imports import (
    ImportDetailApi,
    ImportListApi,
    ImportStartApi,
)
from .rights import (
    ContactEraseApi,
    ContactExportApi,
    SubjectEraseApi,
    SubjectExportApi,
)

__all__ = [
    "ConsentEventListApi",
    "ConsentProofApi",
    "ContactConsentApi",
    "ContactDetailApi",
    "ContactEraseApi",
    "ContactExportApi",
    "ContactListApi",
    "FormDetailApi",
    "FormListApi",
    "ImportDetailApi",
    "ImportListApi",
    "ImportStartApi",
    "SubjectEraseApi",
    "SubjectExportApi",
]
