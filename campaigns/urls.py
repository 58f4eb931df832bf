"""Portal and public pages of campaigns. Portal pages live under /app/."""

app_name = "campaigns"

urlpatterns: list = []
