from django.conf import settings
from django.db import models

from accounts.models import Business


class SecondFactorRequirement(models.Model):
    """A business whose owner requires every member to sign in with a second factor (the
    row's existence is the rule; removing it lifts it)."""

    business = models.OneToOneField(
        Business, on_delete=models.CASCADE, related_name="second_factor_requirement"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"second factor required at {self.business}"
