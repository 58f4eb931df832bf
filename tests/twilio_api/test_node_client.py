"""The official `twilio` package for Node.js against the Twilio-compatible API on a live
test server. The package is installed by npm into var/test-node-twilio/ on the first run
(the npm registry is reachable; later runs reuse it)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from consent.models import Method
from consent.services import consent_record_opt_out
from messaging.models import Message
from messaging.twilio_api import formats
from tests.factories.messaging import consenting_contact

pytestmark = pytest.mark.django_db(transaction=True)
HERE = Path(__file__).resolve().parent
TWILIO_NODE = "twilio@5"  # the current major of the official package


@pytest.fixture(scope="session")
def node_twilio() -> Path:
    """A folder whose node_modules holds the official package."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "Node.js and npm are needed for this test"
    folder = Path(django_settings.BASE_DIR) / "var" / "test-node-twilio"
    if not (folder / "node_modules" / "twilio" / "package.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", TWILIO_NODE],
            check=True,
            capture_output=True,
            timeout=600,
            env={**os.environ, "npm_config_cache": str(folder / ".npm-cache")},
        )
    return folder


def test_node_client_create_fetch_list_cancel_and_errors(
    node_twilio, live_server, account, business, number, contact
):
    acct, token = account
    others = [consenting_contact(business=business, number=number) for _ in range(3)]
    stopped = consenting_contact(business=business, number=number)
    consent_record_opt_out(
        business=business, contact=stopped, method=Method.KEYWORD, scope_all=True
    )
    env = {
        **os.environ,
        "NODE_PATH": str(node_twilio / "node_modules"),
        "ACCOUNT_SID": acct.account_sid,
        "AUTH_TOKEN": token,
        "BASE_URL": live_server.url,
        "FROM": number.e164,
        "TO": contact.phone_e164,
        "TO_LIST": ",".join(c.phone_e164 for c in others),
        "STOPPED": stopped.phone_e164,
    }
    done = subprocess.run(
        [shutil.which("node") or "node", str(HERE / "node_client.js")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)

    created = out["created"]
    message = Message.objects.get(uuid=formats.uuid_from_sid(created["sid"]))
    assert message.business_id == business.pk and message.automated
    assert (created["status"], created["to"], created["from"]) == (
        "queued",
        contact.phone_e164,
        number.e164,
    )
    assert created["accountSid"] == acct.account_sid and created["numSegments"] == "1"
    assert out["fetched"] == {"sid": created["sid"], "body": message.body, "status": "queued"}

    # every message, newest first, across pages of two; the first page has a next one
    outbound = Message.objects.filter(business=business).order_by("-created_at", "-id")
    expected = [formats.message_sid(m.uuid) for m in outbound]
    listed_before_schedule = expected[-4:]
    assert out["listed"] == listed_before_schedule
    assert len(out["firstPage"]) == 2 and out["hasNext"] is True

    assert (out["scheduled"], out["canceled"]) == ("scheduled", "canceled")
    assert out["refused"]["code"] == formats.UNSUBSCRIBED and out["refused"]["status"] == 400
    assert out["refused"]["moreInfo"] == "https://www.twilio.com/docs/errors/21610"
    assert out["missing"] == {"code": formats.NOT_FOUND, "status": 404}
