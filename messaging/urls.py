"""Portal and public pages of messaging. Portal pages live under /app/."""

app_name = "messaging"

urlpatterns: list = []
