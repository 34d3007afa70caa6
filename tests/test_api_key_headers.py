"""How a key arrives: surrounding spaces in X-API-Key are not part of it, an empty Bearer does not hide a valid
X-API-Key, and a configured key that no HTTP header can carry as written (non-ASCII: headers arrive as Latin-1) is
an invalid setting rather than a key that never matches. Found by a bug hunt, 2026-11-29."""
from __future__ import annotations

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from app.api.security import KeyRing, presented_key
from app.config import Settings


@pytest.mark.parametrize("headers, key", [
    ({"x-api-key": "  k1  "}, "k1"),
    ({"authorization": "Bearer  k1 "}, "k1"),
    ({"authorization": "Bearer ", "x-api-key": "k1"}, "k1"),
    ({"authorization": "Bearer k2", "x-api-key": "k1"}, "k2"),
    ({"x-api-key": "   "}, None),
    ({}, None),
])
def test_the_presented_key(headers, key):
    assert presented_key(Headers(headers)) == key
    assert (KeyRing(["k1", "k2"]).identify(presented_key(Headers(headers))) is not None) == (key is not None)


@pytest.mark.parametrize("keys", ["clé-secrète", "ok,tab\tkey"])
def test_a_key_no_header_carries_is_an_invalid_setting(keys):
    with pytest.raises(ValidationError, match="printable ASCII"):
        Settings(api_keys=keys)


def test_printable_keys_are_taken():
    assert [k.get_secret_value() for k in Settings(api_keys="k1, key two,~!@#").api_keys] == ["k1", "key two", "~!@#"]
