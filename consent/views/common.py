"""What the portal pages of consent share: form errors from a service's error, a campaign
from a form's value, a download."""

from django.http import HttpResponse

from accounts.errors import ApplicationError

from .. import selectors


def _form_errors_from(exc: ApplicationError, form) -> None:
    for field, errors in exc.fields.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


def _campaign(business, value):
    return (
        selectors.campaign_for_business(business=business, campaign_uuid=value) if value else None
    )


def _download(content: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- contacts --------------------------------------------------------------------------------
