import pytest


@pytest.fixture(autouse=True)
def _compiled_rules_per_test():
    """Each test compiles the rules of its own database state (edits roll back)."""
    from policies import services

    services.rules_reset()
    yield
    services.rules_reset()
