"""The billing banner on every portal page while payment is overdue or sending paused."""

from .selectors import notice_for


def billing_notice(request) -> dict:
    business = getattr(request, "business", None)
    if business is None or not request.path.startswith("/app/"):
        return {}
    return {"billing_notice": notice_for(business=business)}
