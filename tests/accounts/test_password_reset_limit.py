"""The forgotten-password form is rate limited per typed email and per client IP; over a
limit it answers as usual (no enumeration) but sends nothing (security review 2)."""

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import User

URL = "/accounts/password/reset/"


@pytest.fixture
def user(db):
    return User.objects.create_user(email="victim@example.com", password="pw-123456789!")


@override_settings(PASSWORD_RESET_RATE_PER_EMAIL="2/3600", PASSWORD_RESET_RATE_PER_IP="100/3600")
def test_per_email_limit_stops_the_emails_but_not_the_page(client, user):
    answers = [
        client.post(URL, {"email": "Victim@example.com"}, REMOTE_ADDR=f"198.51.100.{i}")
        for i in range(5)
    ]
    assert [a.status_code for a in answers] == [302] * 5
    assert {a["Location"] for a in answers} == {"/accounts/password/reset/sent/"}
    assert len(mail.outbox) == 2
    assert all(m.to == ["victim@example.com"] for m in mail.outbox)


@override_settings(PASSWORD_RESET_RATE_PER_EMAIL="100/3600", PASSWORD_RESET_RATE_PER_IP="3/3600")
def test_per_ip_limit_across_addresses(client, db):
    for i in range(5):
        User.objects.create_user(email=f"u{i}@example.com", password="pw-123456789!")
    for i in range(5):
        answer = client.post(URL, {"email": f"u{i}@example.com"}, REMOTE_ADDR="203.0.113.7")
        assert answer.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == [
        "u0@example.com",
        "u1@example.com",
        "u2@example.com",
    ]
    # another address is not held back by the first one's limit
    client.post(URL, {"email": "u4@example.com"}, REMOTE_ADDR="203.0.113.8")
    assert len(mail.outbox) == 4


@override_settings(PASSWORD_RESET_RATE_PER_EMAIL="1/3600")
def test_unknown_email_answers_the_same_over_the_limit(client, db):
    for _ in range(3):
        answer = client.post(URL, {"email": "nobody@example.com"})
        assert answer.status_code == 302
        assert answer["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []
