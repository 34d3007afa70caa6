"""An article whose url urllib cannot parse ("http://[broken", a netloc NFKC changes) and that has no source:
normalise() called urlparse(url).hostname, which raises ValueError, not InvalidArticle, so the whole POST
/v1/articles was a 500 and the good articles beside it were not stored. Now that record alone fails."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data", warmup=False))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("url", ["http://[broken", "http://a:b@[zz]/", "http://\u2100.example/"])
def test_an_unparseable_url_fails_its_article_alone(client, url):
    response = client.post("/v1/articles", json=[
        {"id": "good-1", "text": "A new tram bridge opened in Ghent on Monday."},
        {"text": "Another bridge opened in Bruges.", "url": url},
    ])
    assert response.status_code == 201, response.text[:300]
    body = response.json()
    assert body["added"] == 1 and body["failed"] == 1
    assert client.get("/v1/articles/good-1").status_code == 200
