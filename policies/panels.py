"""policies on the dashboard: a sending hold and active strikes, under "What needs
attention" (registered from PoliciesConfig.ready())."""

from accounts.portal import dashboard

from . import selectors


def attention_items(business) -> list[dict]:
    items = []
    hold = selectors.hold_current(business=business)
    if hold is not None:
        items.append(
            {
                "level": "bad",
                "title": "Sending is held for review by our compliance team",
                "help": f"{hold.reason} New messages wait as held until staff release "
                "them. Reply to our email or contact support to speed it up.",
                "url": dashboard.url_or_blank("policies:overview"),
                "term": "held",
            }
        )
    strikes = list(selectors.strike_list(business=business).filter(active=True)[:3])
    if strikes:
        n = selectors.strike_list(business=business).filter(active=True).count()
        items.append(
            {
                "level": "bad",
                "title": f"{n} policy strike{'s' if n != 1 else ''} on your account",
                "help": f"Latest: {strikes[0].explanation} More strikes hold or suspend "
                "sending; contact support if you think one is wrong.",
                "url": dashboard.url_or_blank("policies:overview")
                or dashboard.url_or_blank("public:support"),
                "term": "opt_out_rate"
                if "opt" in str(getattr(strikes[0], "signal", "")).lower()
                else "",
            }
        )
    return items


def register() -> None:
    dashboard.register_attention(dashboard.AttentionSource(30, attention_items))
