"""Slack messages claimed across hosts: with the record on PostgreSQL, a retry that reaches another host is not
answered twice (each host claimed messages in its own file, so replicas behind one load balancer both answered)."""

from __future__ import annotations

import threading

import pytest

from app.config import Settings
from app.slack.bot import _shared_claims
from app.slack.conversation import SeenMessages
from app.store.postgres import PostgresRecordStore
from tests import postgres_server


@pytest.fixture(scope="module")
def pg():
    yield from postgres_server.running()


@pytest.fixture
def two_hosts(pg):
    url = postgres_server.new_database(pg)
    stores = [PostgresRecordStore(url), PostgresRecordStore(url)]
    yield stores
    for store in stores:
        store.close()


@pytest.mark.integration
def test_a_message_is_claimed_once_across_hosts(two_hosts, tmp_path):
    host_a, host_b = two_hosts
    assert host_a.claim_once("C1:1700000000.000100", 86_400)
    assert not host_b.claim_once("C1:1700000000.000100", 86_400)
    assert not host_a.claim_once("C1:1700000000.000100", 86_400)
    assert host_b.claim_once("C1:1700000000.000200", 86_400)
    # two hosts' bots, each with its own file (another machine's data dir): one answers a retried message
    seen_a = SeenMessages(path=tmp_path / "a" / "seen.sqlite", shared=host_a.claim_once)
    seen_b = SeenMessages(path=tmp_path / "b" / "seen.sqlite", shared=host_b.claim_once)
    results = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.first_time("C2:1700000001.000100")))
               for s in (seen_a, seen_b) * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True], results


def test_a_claim_connects_with_short_timeouts_and_is_not_retried():
    """It runs before Slack's 3-second acknowledgement; the record's own connections wait 10 s to connect."""
    import threading

    import app.store.postgres as postgres

    opened, executed = [], []

    class Unreachable(Exception):
        pass

    class FakeConnection:
        closed = False

        def execute(self, sql, params=()):
            executed.append(sql)
            if sql.startswith("INSERT"):
                raise Unreachable("server closed the connection")

        def close(self):
            self.closed = True

    class FakePsycopg:
        Error = Unreachable

        @staticmethod
        def connect(url, **kwargs):
            opened.append(kwargs)
            return FakeConnection()

    store = PostgresRecordStore.__new__(PostgresRecordStore)  # only the claim's connection is exercised
    store._psycopg, store._url = FakePsycopg, "postgresql://db/citewire"
    store._claims_lock, store._claims_conn = threading.Lock(), None
    with pytest.raises(Unreachable):
        store.claim_once("C1:1.0", 60)
    assert opened == [{"autocommit": True, "connect_timeout": postgres.CLAIM_TIMEOUT_S}]
    assert executed[0] == f"SET statement_timeout = {postgres.CLAIM_TIMEOUT_S * 1000}"
    assert sum(sql.startswith("INSERT") for sql in executed) == 1 and store._claims_conn is None  # dropped, not retried
    assert postgres.CLAIM_TIMEOUT_S < 3


def test_the_embedded_record_has_no_claims_across_hosts(tmp_path):
    from app.store.records import RecordStore

    with pytest.raises(NotImplementedError, match="PostgreSQL"):
        RecordStore(tmp_path / "records.sqlite").claim_once("C1:1.0", 60)


@pytest.mark.integration
def test_old_claims_are_pruned(two_hosts):
    import app.store.postgres as postgres

    host_a, _ = two_hosts
    host_a.claim_once("old", 86_400)
    host_a._conn().execute("UPDATE message_claims SET at = at - 100000 WHERE key = 'old'")
    for i in range(postgres._PRUNE_CLAIMS_EVERY):
        host_a.claim_once(f"k{i}", 86_400)
    assert host_a._conn().execute("SELECT count(*) AS n FROM message_claims WHERE key = 'old'").fetchone()["n"] == 0


def test_a_shared_claim_that_fails_falls_back_to_the_hosts_file(tmp_path, caplog):
    """PostgreSQL down: the host's workers still claim each message once among themselves (a possible repeat on
    another host, never a lost answer)."""
    calls = []

    def down(key: str, keep_s: float) -> bool:
        calls.append(key)
        raise OSError("connection refused")

    first = SeenMessages(path=tmp_path / "seen.sqlite", shared=down)
    second = SeenMessages(path=tmp_path / "seen.sqlite", shared=down)  # the host's other worker
    assert first.first_time("C1:1.0") and not second.first_time("C1:1.0")
    assert "claiming messages on this host only" in caplog.text
    # the shared store is not asked again for a while: each message would wait on it
    assert first.first_time("C1:2.0") and calls == ["C1:1.0", "C1:1.0"]


def test_claims_are_shared_only_with_the_record_on_postgresql(tmp_path):
    assert _shared_claims(Settings(data_dir=tmp_path), lambda: None) is None
    calls = []

    class Records:
        def claim_once(self, key, keep_s):
            calls.append((key, keep_s))
            return True

    class Services:
        records = Records()

    claim = _shared_claims(Settings(data_dir=tmp_path, lexical_url="postgresql://db/citewire"), lambda: Services())
    assert claim("C1:1.0", 60) and calls == [("C1:1.0", 60)]
