"""/slack/events when Slack was out of reach at start-up: a later signed request checks the token again (at most
every RETRY_INTERVAL_S, one request at a time) and the bot serves without a restart; a token Slack rejected stays
rejected; /readyz shows which. Through real Bolt, slack_sdk signing and the fake Slack Web API (tests/fake_slack.py),
whose port is closed until it starts."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web import SlackResponse

from app.config import Settings
from app.main import create_app
from app.slack import http as slack_http
from app.slack.http import OK, REJECTED, UNREACHABLE, SlackBot
from tests.fake_slack import FakeSlack

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


@pytest.fixture(autouse=True)
def no_real_slack_env(monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"CITEWIRE_{name}", raising=False)


def settings_for(tmp_path, fake: FakeSlack, token: str = TOKEN) -> Settings:
    return Settings(data_dir=tmp_path / "data", SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET=SECRET,
                    SLACK_API_URL=fake.base_url, slack_max_retries=2)


def url_verification(client: TestClient):
    body = json.dumps({"token": "legacy", "challenge": CHALLENGE, "type": "url_verification"})
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
               "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)}
    return client.post("/slack/events", content=body, headers=headers)


def assert_retrying(response) -> None:
    assert response.status_code == 503
    assert response.json() == {"error": "slack unavailable", "detail": "Slack was not reachable to verify the bot "
                               f"token; retrying at most every {slack_http.RETRY_INTERVAL_S:g} s"}
    assert int(response.headers["Retry-After"]) >= 1


def wait_past(seconds: float) -> None:
    time.sleep(seconds + 0.1)


def serves_after_the_interval(client: TestClient) -> None:
    """Once the interval has passed, a signed request checks the token again, and Slack verifies it: served."""
    wait_past(slack_http.RETRY_INTERVAL_S)
    assert url_verification(client).json() == {"challenge": CHALLENGE}
    assert client.get("/readyz").json()["slack"] == OK


# --- through the app --------------------------------------------------------------------------------------------
@pytest.mark.integration
def test_slack_unreachable_at_start_up_is_checked_again_and_then_serves(tmp_path, corpus_services, monkeypatch):
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 1.0)
    fake = FakeSlack(token=TOKEN)  # its port is reserved but nothing listens yet: connection refused
    with TestClient(create_app(settings_for(tmp_path, fake), services=corpus_services)) as client:
        assert_retrying(url_verification(client))
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"  # Slack does not make us unready
        assert ready.json()["slack"] == UNREACHABLE
        with fake:
            serves_after_the_interval(client)
            assert len(fake.calls_to("auth.test")) == 1  # checked once; serving now asks no more
            assert url_verification(client).status_code == 200
            assert len(fake.calls_to("auth.test")) == 1


@pytest.mark.integration
def test_no_check_before_the_interval_and_one_attempt_per_check(tmp_path, corpus_services, monkeypatch):
    """A 429 on the re-check is answered 503 at once (the client's wait-and-retry is off for it), not taken for a
    rejected token; the check after the next interval succeeds."""
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 3.0)
    fake = FakeSlack(token=TOKEN)
    with TestClient(create_app(settings_for(tmp_path, fake), services=corpus_services)) as client:
        with fake:
            fake.fail("auth.test", status=429, error="ratelimited", retry_after=30)
            assert_retrying(url_verification(client))  # within the interval: Slack is not asked
            assert fake.calls_to("auth.test") == []
            wait_past(slack_http.RETRY_INTERVAL_S)
            started = time.monotonic()
            assert_retrying(url_verification(client))
            assert time.monotonic() - started < 10  # did not wait out Retry-After: 30
            assert [call["status"] for call in fake.calls_to("auth.test")] == [429]
            assert client.get("/readyz").json()["slack"] == UNREACHABLE
            serves_after_the_interval(client)


@pytest.mark.integration
def test_slack_answering_5xx_at_start_up_is_unreachable_not_a_rejected_token(tmp_path, corpus_services, monkeypatch):
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 0.5)
    with FakeSlack(token=TOKEN) as fake:
        fake.fail("auth.test", status=503, error="service_unavailable")
        with TestClient(create_app(settings_for(tmp_path, fake), services=corpus_services)) as client:
            assert client.get("/readyz").json()["slack"] == UNREACHABLE
            serves_after_the_interval(client)


@pytest.mark.integration
def test_a_rejected_token_stays_rejected_and_is_not_checked_again(tmp_path, corpus_services, monkeypatch):
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 0.0)
    with FakeSlack(token=TOKEN) as fake:
        settings = settings_for(tmp_path, fake, token="xoxb-revoked")
        with TestClient(create_app(settings, services=corpus_services)) as client:
            for _ in range(2):
                response = url_verification(client)
                assert response.status_code == 503 and "Retry-After" not in response.headers
                assert response.json()["error"] == "slack unavailable"
                assert "did not verify" in response.json()["detail"] and "retrying" not in response.json()["detail"]
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["slack"] == REJECTED
        assert len(fake.calls_to("auth.test")) == 1


@pytest.mark.integration
def test_readyz_says_ok_and_has_no_slack_field_without_slack(tmp_path, corpus_services):
    with FakeSlack(token=TOKEN) as fake:
        with TestClient(create_app(settings_for(tmp_path, fake), services=corpus_services)) as client:
            assert client.get("/readyz").json()["slack"] == OK
    with TestClient(create_app(Settings(data_dir=tmp_path / "plain"), services=corpus_services)) as client:
        assert "slack" not in client.get("/readyz").json()


@pytest.mark.integration
def test_a_forged_request_does_not_make_us_call_slack(tmp_path, corpus_services, monkeypatch):
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 0.0)
    fake = FakeSlack(token=TOKEN)
    with TestClient(create_app(settings_for(tmp_path, fake), services=corpus_services)) as client:
        with fake:
            body = json.dumps({"type": "url_verification", "challenge": CHALLENGE})
            forged = client.post("/slack/events", content=body, headers={
                "Content-Type": "application/json", "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=00"})
            assert forged.status_code == 401
            assert fake.calls_to("auth.test") == []
            assert client.app.state.slack.status == UNREACHABLE


# --- SlackBot on its own: the clock and the lock ---------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def unreachable(single_attempt: bool):
    raise OSError("connection refused")


def rejected(single_attempt: bool):
    response = SlackResponse(client=None, http_verb="POST", api_url="auth.test", req_args={},
                             data={"ok": False, "error": "invalid_auth"}, headers={}, status_code=200)
    try:
        raise SlackApiError("invalid_auth", response)
    except SlackApiError:  # as Bolt does: the BoltError's context is the API error
        raise BoltError("auth.test failed: invalid_auth")


def test_the_interval_gates_checks_and_the_start_up_check_alone_keeps_the_retries(monkeypatch):
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 30.0)
    clock, calls = Clock(), []
    outcome = {"build": unreachable}

    def build(single_attempt: bool):
        calls.append(single_attempt)
        return outcome["build"](single_attempt)

    bot = SlackBot(build, "http://slack.invalid/api/", clock=clock)
    bot.start()
    assert (bot.status, bot.bolt, calls, bot.retry_after()) == (UNREACHABLE, None, [False], 30)
    clock.now += 29.5
    assert bot.check_again() is None and calls == [False] and bot.retry_after() == 1
    clock.now += 0.5
    assert bot.check_again() is None and calls == [False, True]  # one attempt: the request waits one timeout
    assert bot.retry_after() == 30
    clock.now += 30
    outcome["build"] = lambda single_attempt: "the bolt app"
    assert bot.check_again() == "the bolt app" and bot.status == OK and calls == [False, True, True]
    clock.now += 30
    assert bot.check_again() == "the bolt app" and len(calls) == 3  # serving: no more checks


def test_a_token_rejected_on_a_later_check_stays_rejected(monkeypatch):
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 30.0)
    clock, builds = Clock(), [unreachable, rejected]
    calls = []

    def build(single_attempt: bool):
        calls.append(single_attempt)
        return builds[len(calls) - 1](single_attempt)

    bot = SlackBot(build, "http://slack.invalid/api/", clock=clock)
    bot.start()
    clock.now += 30
    assert bot.check_again() is None
    assert bot.status == REJECTED and "did not verify" in bot.reason
    clock.now += 300
    assert bot.check_again() is None and len(calls) == 2


def test_concurrent_requests_make_one_check_and_do_not_wait_on_it(monkeypatch):
    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 0.0)
    entered, release, calls = threading.Event(), threading.Event(), []

    def build(single_attempt: bool):
        calls.append(single_attempt)
        if single_attempt:
            entered.set()
            release.wait(10)  # a hung Slack
        raise OSError("timed out")

    bot = SlackBot(build, "http://slack.invalid/api/")
    bot.start()
    first = threading.Thread(target=bot.check_again)
    first.start()
    assert entered.wait(10)
    started = time.monotonic()
    others = [bot.check_again() for _ in range(5)]  # while the first check hangs
    assert others == [None] * 5 and time.monotonic() - started < 1
    release.set()
    first.join(10)
    assert calls == [False, True]


def test_an_unexpected_error_on_a_later_check_is_an_outage_that_waits_its_interval(monkeypatch):
    """A reply cut off mid-way (http.client.IncompleteRead is no OSError) escaped the re-check: a 500, and with the
    interval never moved every later request ran another blocking auth.test."""
    import http.client

    monkeypatch.setattr(slack_http, "RETRY_INTERVAL_S", 30.0)
    clock, calls = Clock(), []

    def build(single_attempt: bool):
        calls.append(single_attempt)
        if single_attempt:
            raise http.client.IncompleteRead(b"{\"ok\": tr")
        return unreachable(single_attempt)

    bot = SlackBot(build, "http://slack.invalid/api/", clock=clock)
    bot.start()
    clock.now += 30
    assert bot.check_again() is None and bot.status == UNREACHABLE and bot.retry_after() == 30
    assert bot.check_again() is None and calls == [False, True]  # the next check waits for its interval
