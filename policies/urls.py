"""Portal and public pages of policies. Portal pages live under /app/."""

app_name = "policies"

urlpatterns: list = []
