import pytest

from tests.factories.messaging import consenting_contact, sending_number


@pytest.fixture
def number(business):
    return sending_number(business=business)


@pytest.fixture
def contact(business, number):
    """A contact with confirmed consent on the number's campaign."""
    return consenting_contact(business=business, number=number, tags=["patients"])
