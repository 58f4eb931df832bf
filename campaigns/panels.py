"""campaigns on the dashboard: its campaigns that were rejected or suspended, under "What
needs attention" (registered from CampaignsConfig.ready())."""

from accounts.portal import dashboard

from .models import Campaign


def attention_items(business) -> list[dict]:
    items = []
    for c in Campaign.objects.filter(
        business=business, status__in=[Campaign.Status.REJECTED, Campaign.Status.SUSPENDED]
    ).order_by("-id")[:5]:
        items.append(
            {
                "level": "bad",
                "title": f"Campaign {c.get_status_display().lower()}: "
                f"{getattr(c, 'name', '') or c.usecase}",
                "help": "Read the reviewer's reasons on the campaign page, fix what they "
                "name, then appeal or resubmit. Numbers on it cannot send meanwhile.",
                "url": dashboard.url_or_blank("campaigns:campaign", campaign_uuid=c.uuid),
                "term": "tcr",
            }
        )
    return items


def register() -> None:
    dashboard.register_attention(dashboard.AttentionSource(10, attention_items))
