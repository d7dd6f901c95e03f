"""Fixtures for end-to-end tests: a fake Slack Web API and the real Bolt app."""

from __future__ import annotations

import pytest
from e2e_conf import SECRET, TOKEN
from fakeslack import FakeSlack

from bot.config import Settings
from bot.services import Services


@pytest.fixture
def fake():
    with FakeSlack() as f:
        yield f


@pytest.fixture
def settings(fake, tmp_path):
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "BRIEFBOT_REMINDER_CHANNEL": "C0REMIND",
        }
    )


@pytest.fixture
def services(settings, corpus, index):
    return Services(settings=settings, corpus=corpus, index=index)


@pytest.fixture
def app(settings, services, fake):
    from handlers.app import build_app

    bolt = build_app(settings, services, process_before_response=True)
    fake.reset()  # forget auth.test
    return bolt
