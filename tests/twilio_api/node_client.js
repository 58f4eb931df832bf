// The official `twilio` package for Node.js against the Twilio-compatible API: create,
// fetch, list with paging, cancel, and the error a gate refusal becomes. Run by
// test_node_client.py, which installs the package and reads the JSON this prints.
// Only the credentials and the base URL differ from a script written for Twilio.
const twilio = require("twilio");

const { ACCOUNT_SID, AUTH_TOKEN, BASE_URL, FROM, TO, TO_LIST, STOPPED } = process.env;

async function main() {
  const client = twilio(ACCOUNT_SID, AUTH_TOKEN, { timeout: 30000 });
  client.api.baseUrl = BASE_URL;
  const out = {};
  const body = "Bright Smile: your cleaning is confirmed for Tue 3pm. Reply STOP to opt out.";

  const created = await client.messages.create({ to: TO, from: FROM, body });
  out.created = { sid: created.sid, status: created.status, to: created.to, from: created.from,
    accountSid: created.accountSid, numSegments: created.numSegments,
    dateCreated: created.dateCreated.toISOString() };

  const fetched = await client.messages(created.sid).fetch();
  out.fetched = { sid: fetched.sid, body: fetched.body, status: fetched.status };

  for (const to of TO_LIST.split(",")) {
    await client.messages.create({ to, from: FROM, body });
  }
  const all = await client.messages.list({ pageSize: 2 });
  out.listed = all.map((m) => m.sid);
  const firstPage = await client.messages.page({ pageSize: 2 });
  out.firstPage = firstPage.instances.map((m) => m.sid);
  out.hasNext = Boolean(firstPage.nextPageUrl);

  const scheduled = await client.messages.create({
    to: TO, from: FROM, body, scheduleType: "fixed",
    sendAt: new Date(Date.now() + 2 * 3600 * 1000),
  });
  out.scheduled = scheduled.status;
  const canceled = await client.messages(scheduled.sid).update({ status: "canceled" });
  out.canceled = canceled.status;

  try {
    await client.messages.create({ to: STOPPED, from: FROM, body });
    out.refused = null;
  } catch (err) {
    out.refused = { code: err.code, status: err.status, message: err.message,
      moreInfo: err.moreInfo };
  }
  try {
    await client.messages("SM" + "0".repeat(32)).fetch();
    out.missing = null;
  } catch (err) {
    out.missing = { code: err.code, status: err.status };
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
