import pytest

from tests.factories.messaging import sending_number


@pytest.fixture
def number(business):
    return sending_number(business=business)
