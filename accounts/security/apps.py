from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "accounts.security"
    label = "security"
    verbose_name = "Sign-in security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from . import lockout

        user_login_failed.connect(lockout.count_failure, dispatch_uid="security-address-failure")
