"""List settings read the same way from the environment: comma-separated or a JSON list."""

import json

import pytest
from pydantic import ValidationError

from app.config import Settings

LIST_SETTINGS = ("CITEWIRE_CORS_ORIGINS", "CITEWIRE_MCP_ALLOWED_HOSTS")


LIST_VALUES = {"CITEWIRE_CORS_ORIGINS": ["https://a.example", "http://b.example:8000"],
               "CITEWIRE_MCP_ALLOWED_HOSTS": ["a.example:*", "b.example:8000"]}


@pytest.mark.parametrize("name", LIST_SETTINGS)
@pytest.mark.parametrize("as_json", [True, False])
def test_list_setting_reads_commas_and_json_alike(monkeypatch, name, as_json):
    values = LIST_VALUES[name]
    monkeypatch.setenv(name, json.dumps(values) if as_json else ", ".join(values))
    assert getattr(Settings(), name.removeprefix("CITEWIRE_").lower()) == values


@pytest.mark.parametrize("raw", ["[1,2]", "a.example", "https://a.example/path", "ftp://a.example", "https://"])
def test_a_cors_origin_that_no_browser_sends_is_a_clear_setting_error(monkeypatch, raw):
    """'[1,2]' was read as the origins '[1' and '2]', 'a.example' matched no browser: both without a word."""
    monkeypatch.setenv("CITEWIRE_CORS_ORIGINS", raw)
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings()


def test_a_cors_origin_loses_its_trailing_slash_and_any_stays(monkeypatch):
    monkeypatch.setenv("CITEWIRE_CORS_ORIGINS", "https://a.example/, *")
    assert Settings().cors_origins == ["https://a.example", "*"]


def test_api_keys_read_as_a_json_list_too(monkeypatch):
    monkeypatch.setenv("CITEWIRE_API_KEYS", '["k1", "k2"]')
    assert [key.get_secret_value() for key in Settings().api_keys] == ["k1", "k2"]


def test_a_broken_json_list_is_a_clear_setting_error(monkeypatch):
    monkeypatch.setenv("CITEWIRE_CORS_ORIGINS", '["https://a.example"')
    with pytest.raises(ValidationError, match="not a JSON list"):
        Settings()


def test_a_comma_list_that_opens_with_an_ipv6_host_is_not_read_as_json(monkeypatch):
    monkeypatch.setenv("CITEWIRE_MCP_ALLOWED_HOSTS", "[::1]:*,citewire.internal:*")
    assert Settings().mcp_allowed_hosts == ["[::1]:*", "citewire.internal:*"]


@pytest.mark.parametrize("raw, why", [(",", "holds no key"), (" , ", "holds no key"),
                                      ('["k1", ""]', "an empty key"), ('["k1", " "]', "an empty key")])
def test_api_keys_that_hold_no_key_are_refused_not_an_open_api(monkeypatch, raw, why):
    """CITEWIRE_API_KEYS="," parsed to no keys, and the API ran open without a word."""
    monkeypatch.setenv("CITEWIRE_API_KEYS", raw)
    with pytest.raises(ValidationError, match=why):
        Settings()


@pytest.mark.parametrize("raw", ["", "[]"])
def test_empty_api_keys_still_mean_an_api_without_keys(monkeypatch, raw):
    monkeypatch.setenv("CITEWIRE_API_KEYS", raw)
    assert Settings().api_keys == []
