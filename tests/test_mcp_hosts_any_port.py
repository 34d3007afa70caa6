"""CITEWIRE_MCP_ALLOWED_HOSTS' "host:*" means any port, the default one too: a client at https://host/mcp sends
"Host: host" (no port), which the MCP SDK's wildcard refused with 421 (found by a bug hunt, 2026-11-29)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

TOOLS_LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


@pytest.mark.parametrize(("allowed", "base_url"), [
    (["citewire.internal:*"], "https://citewire.internal"),  # the README's example, behind a TLS proxy on 443
    (["citewire.internal:*"], "http://citewire.internal"),
    (None, "http://localhost"),  # the default list, the app published on port 80 (docker -p 80:8000)
])
def test_an_any_port_host_takes_a_host_header_without_a_port(tmp_path, allowed, base_url):
    """'host:*' is documented as "any port", and the README says to set CITEWIRE_MCP_ALLOWED_HOSTS='["citewire.internal:*"]'
    behind another name. A client at https://citewire.internal/mcp sends "Host: citewire.internal" (default ports
    carry no port), which the SDK's check (host.startswith(base + ":")) refuses: 421 Invalid Host header."""
    extra = {"mcp_allowed_hosts": allowed} if allowed else {}
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False, **extra)),
                    base_url=base_url) as client:
        response = client.post("/mcp", json=TOOLS_LIST, headers=HEADERS)
        assert response.status_code == 200, (response.status_code, response.text)
        origin = client.post("/mcp", json=TOOLS_LIST, headers={**HEADERS, "origin": base_url})
        assert origin.status_code == 200, (origin.status_code, origin.text)
