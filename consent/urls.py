"""Portal and public pages of consent. Portal pages live under /app/."""

app_name = "consent"

urlpatterns: list = []
