from accounts.roles import Cap
from messaging.media import selectors, services
from tests.media.conftest import png
from tests.sweep import Rule


def _media(business) -> dict:
    media = services.media_create(business=business, data=png())
    return {"media_uuid": media.uuid}


def _signed(business) -> dict:
    media = services.media_create(business=business, data=png())
    token, name = selectors.media_signed_url(media).rsplit("/", 2)[-2:]
    return {"token": token, "name": name}


RULES = {
    "media:signed": Rule(
        "public",
        kwargs=_signed,
        reason="the file a carrier fetches: the signed, expiring token in the URL is the key",
    ),
    "media:file": Rule("portal", cap=Cap.VIEW, kwargs=_media),
    "media:thumbnail": Rule("portal", cap=Cap.VIEW, kwargs=_media),
    "api-media": Rule("api", cap=Cap.SEND, method="post", allowed_extra=(400,)),
    "api-media-detail": Rule("api", cap=Cap.VIEW, kwargs=_media),
}
