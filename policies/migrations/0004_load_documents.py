"""Load the first published version of each policy document (privacy, SMS/MMS, terms).

The text is frozen here on purpose: later versions are published by staff in the admin.
"""

from datetime import UTC, datetime

from django.db import migrations

EFFECTIVE = datetime(2026, 11, 28, tzinfo=UTC)

PRIVACY = """\
Contact Your Client ("we", "us") is a texting platform that US businesses use to send text messages to their clients. This policy says what personal information we hold, why, how long we keep it, and what you can do about it.

# Two kinds of people, two roles

- Account holders: the owners and staff of the businesses that use our portal and API. For them we decide what we collect and why.
- Recipients: the people our customers text. For them we act on behalf of the business that texts them; that business decides why their data is used, and we process it only to deliver its messages lawfully.

# What we collect about account holders

- Your name, email address, password (stored only as a secure hash), the businesses you belong to and your role in each.
- What you do in the portal and through the API, kept in an audit trail so we and your business can trace every change.
- The versions of our policies and terms you accepted, with the date and the IP address it came from.
- Your cookie choices (with the IP address shortened and only the family of your browser).
- Usage information (pages you view, your browser and operating system family, device type, a shortened IP address) only if you allow performance and analytics cookies. You can withdraw that choice at any time from "Cookie settings" at the bottom of every page, and we stop at once.

# What we hold about recipients

Phone number, and name, email or other fields if the business adds them; the consent record for each opt-in and opt-out (how and when it was given, the exact wording shown, the page, the IP address and device, the policy version); the messages sent and received and their delivery status. A business must have your consent before it texts you, and must stop when you reply STOP.

# Why we use it

To run the service: sign-in, sending and delivering texts, registering businesses and campaigns with the carriers' registry (10DLC/TCR), proving consent, honouring opt-outs, keeping the platform free of prohibited content, billing, support, security and meeting our legal duties. We do not sell personal information and we do not use recipients' data for our own marketing.

# Who receives it

- Mobile carriers, the Campaign Registry and our messaging providers, as needed to register campaigns and deliver messages.
- Service providers that host our systems and send our email, bound by contract to use the data only for us.
- Authorities, when the law requires it.

# How long we keep it

- Message text is anonymised 180 days after sending.
- Usage logs are deleted after 90 days.
- Consent records are kept at least five years, because businesses must be able to prove consent.
- A number that opted out stays on a suppression list for good, stored as a one-way hash, so it is never texted again by mistake.
- The data of a closed business is anonymised five years after closing (the period US telemarketing rules require records to be kept); the legal records (consent ledger, audit trail, invoices) are kept for that period.

# Your rights as an account holder

Under "My account" in the portal you can see your personal data, correct it, download it as a JSON file, and delete your account. Deleting your account removes or anonymises your personal data; the records your business must keep by law stay, no longer linked to you. You can opt out of marketing email from us at any time, with the link in each such email or under "My account"; service notices (such as changes to these policies) are still sent. A business owner can export all of the business's data and close the business from "Business data".

# Your rights as a recipient

Reply STOP to any message to stop it; reply HELP for help. To see or delete your data, ask the business that texts you; we help them answer.

# Children

Our service is for businesses. Nobody under 13 may have an account or opt in to messages, and nobody under 18 may sign up a business. If we learn that we hold data about a child under 13, we delete it.

# Cookies

We use only essential cookies (to keep you signed in, protect forms and remember your cookie choice) until you choose otherwise. The optional categories are performance and analytics, functionality, and advertising; each is off until you allow it.

# Security

Passwords and API keys are stored as hashes, staff sign in with a second factor, and every staff action is recorded in an audit trail.

# Changes

When we change this policy we publish a new version with its effective date at a stable address, tell every account holder in the portal and by email, and ask them to accept it. Earlier versions stay available.

# Contact

Write to us through the support page of our website.
"""

SMS = """\
This policy says what may be sent through Contact Your Client, and what happens when it is not followed. It follows the rules of the US mobile carriers (the CTIA Messaging Principles and Best Practices and the carriers' 10DLC codes of conduct) and US law (the Telephone Consumer Protection Act and state rules). Every business that sends through us agrees to it.

# Registration

- Your business is vetted before it can send.
- Every originating number belongs to a registered 10DLC campaign whose use case, description, sample messages and opt-in method match what you actually send.
- Send only from the campaign a message belongs to; do not spread the same content across many numbers to get around limits ("snowshoeing").

# Consent

- Text only people who gave you their consent for that kind of message. Marketing needs express written consent; a reply in a conversation the person started may rely on that conversation.
- Keep proof of consent. Our opt-in forms and imports record it for you; an import must be attested.
- Nobody under 13 may be opted in.

# Opt-out and help

- STOP, STOPALL, UNSUBSCRIBE, CANCEL, END and QUIT stop messages at once; we send one confirmation and nothing else.
- HELP answers with your help message.
- Marketing and informational messages say how to opt out (for example "Reply STOP to opt out").

# Content that cannot be sent

- Loans, credit repair, debt relief or collection, tax relief, and other high-risk financial offers.
- Gambling, sweepstakes and lotteries; cryptocurrency and investment offers.
- Cannabis, CBD, kratom, tobacco and vaping, alcohol (unless age-gated and registered), firearms, fireworks, controlled substances and prescription drugs offered without a prescription.
- Adult content, hate, violence, harassment, fraud, phishing and deceptive offers, work-from-home and secret-shopper schemes.
- Lead generation or sharing phone numbers with third parties.
- Links through public URL shorteners, links to domains that are not your own, disguised or look-alike links.

# Sending limits

- At most 50 message segments per originating number per minute, less if a restriction applies to your account.
- No marketing texts outside 8 a.m. to 9 p.m. in the recipient's time zone.

# How we check and what happens

Every message is checked before it is sent. A message that breaks this policy is blocked or held for our review, with the reason shown in your portal. Repeated problems, high opt-out rates or carrier complaints lead to strikes, then a hold on sending, reduced throughput, suspension of a campaign or of your account, and in serious cases termination. Fines and fees that carriers charge because of your messages are recorded in your account and may be passed on to you. Your portal's Compliance page shows every strike, fine and restriction, why, and what to do.

# Changes

We publish each new version of this policy with its effective date, tell every account holder, and ask them to accept it.
"""

TERMS = """\
These terms are the agreement between Contact Your Client ("we", "us") and the business that opens an account ("you"). By signing up, or by continuing to use the service after accepting a new version, you agree to them.

# The service

A web portal and an API through which you send text messages to your clients, collect and prove their consent, register your brand and campaigns with the carriers' registry, and receive replies. We provide the service as it is offered at the time; features may change.

# Your account

- The person who signs up must be 18 or older and able to bind the business.
- Keep your information accurate, your passwords and API keys secret, and your team's roles appropriate. You are responsible for what is done with your account.
- We vet each business before it can send, and may refuse a business whose industry or content our SMS/MMS content policy does not allow.

# Your obligations

- Follow the SMS/MMS content policy and the law, including the Telephone Consumer Protection Act, the Telemarketing Sales Rule, CAN-SPAM where it applies, and state rules.
- Text only people who consented, honour every opt-out, and keep proof of consent.
- Do not use the service to send prohibited content, to get around our limits, or to harm anyone.

# Fees, carrier fines and pass-through charges

You pay the fees of your plan. Mobile carriers and the campaign registry may charge registration fees, and may fine or charge for messages that break their rules. Fines and fees caused by your messages are recorded in your account, with the carrier's reference, and may be charged to you.

# Restrictions, suspension and termination

To protect recipients, the carriers and other customers, we may hold messages for review, reduce your sending throughput, suspend a campaign, suspend your account, or terminate it, for breaches of these terms or of the SMS/MMS content policy, carrier instructions, or the law. We tell you why in the portal, and what you can do; a restriction applies to sending at once. You may close your business's account at any time from the portal.

# Data

You decide why your clients' data is used; we process it for you to provide the service, as described in our privacy policy. We keep the records the law requires (consent records, the audit trail and invoices) for the periods stated there, also after you close your account. You can export your data at any time.

# Availability and liability

We work to keep the service available but do not promise it will be uninterrupted: carriers may delay or filter messages. To the extent the law allows, we are not liable for indirect or consequential losses, and our total liability is limited to the fees you paid us in the twelve months before the claim.

# Changes to these terms

We publish each new version with its effective date at a stable address, tell every account holder in the portal and by email, and ask them to accept it. Earlier versions stay available.
"""

DOCS = [
    ("privacy", "Privacy policy", PRIVACY),
    ("sms-policy", "SMS/MMS content policy", SMS),
    ("terms", "Terms of service", TERMS),
]


def load(apps, schema_editor):
    PolicyDocument = apps.get_model("policies", "PolicyDocument")
    for kind, title, body in DOCS:
        PolicyDocument.objects.get_or_create(
            kind=kind,
            version="1.0",
            defaults={
                "title": title,
                "body": body,
                "summary": "First published version.",
                "effective_at": EFFECTIVE,
                "published_at": EFFECTIVE,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("policies", "PolicyDocument").objects.filter(
        version="1.0", published_by__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("policies", "0003_governance")]

    operations = [migrations.RunPython(load, unload)]
