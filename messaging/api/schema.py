"""Choice sets named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: several apps have a
field called "kind", so each distinct set of values gets one explicit OpenAPI name."""

from messaging.models import KINDS

MESSAGE_KINDS = list(KINDS)  # MessageKindEnum: the four kinds of a message
CONSENT_KINDS = ["marketing", "informational"]  # ConsentKindEnum: kinds consent is given for
