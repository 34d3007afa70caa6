"""CITEWIRE_MAX_BODY_BYTES bounds what a request may make the server hold, but an uploaded .jsonl.gz was
decompressed without a bound (`for line in handle` read a whole line): a ~190 KB upload under a 200 KB limit made the
server hold a 190 MB line (peak RSS +380 MB); under the default 20 MB limit the same ratio is ~20 GB. Compressed
uploads now unpack to at most UNPACKED_PER_BODY_BYTE times the limit, together."""

from __future__ import annotations

import zlib

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app


def _gzip_of_a_long_line(megabytes: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b" " * (1024 * 1024)) for _ in range(megabytes)]
    parts.append(compressor.compress(b'\n{"id": "after", "text": "A tram bridge opened in Ghent."}\n'))
    return b"".join(parts) + compressor.flush()


def test_a_gzip_upload_cannot_expand_far_past_the_body_limit(tmp_path):
    limit = 200_000
    blob = _gzip_of_a_long_line(150)
    assert len(blob) < limit  # the upload itself is within the limit
    app = create_app(Settings(data_dir=tmp_path / "data", warmup=False, max_body_bytes=limit))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/v1/articles", files=[("files", ("bomb.jsonl.gz", blob, "application/gzip"))])
    # 150 MB unpacked from a 200 KB-limited request is refused, not read
    assert response.status_code == 413, response.text[:300]
    assert "bomb.jsonl.gz: the compressed uploads unpack to more than 2,000,000 bytes" in response.json()["detail"]


def _gzip_of_padding(megabytes: float, article_id: str) -> bytes:
    """Blank lines (skipped, but unpacked) and one article."""
    padding = b"\n" * int(megabytes * 1024 * 1024)
    return _gzip(padding + b'{"id": "%s", "text": "A tram bridge opened in Ghent."}\n' % article_id.encode())


def _gzip(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def test_the_bound_is_for_the_request_as_a_whole(tmp_path):
    """10 x 200 KB: one file unpacking to 1.5 MB is read; two of them (3 MB together) are refused, none stored."""
    app = create_app(Settings(data_dir=tmp_path / "data", warmup=False, max_body_bytes=200_000))
    one, two = _gzip_of_padding(1.5, "ghent-1"), _gzip_of_padding(1.5, "ghent-2")
    with TestClient(app, raise_server_exceptions=False) as client:
        both = client.post("/v1/articles", files=[("files", ("a.jsonl.gz", one, "application/gzip")),
                                                  ("files", ("b.jsonl.gz", two, "application/gzip"))])
        assert both.status_code == 413, both.text[:300]
        assert "b.jsonl.gz" in both.json()["detail"] and "together" in both.json()["detail"]
        assert client.get("/v1/articles").json()["total"] == 0
        alone = client.post("/v1/articles", files=[("files", ("a.jsonl.gz", one, "application/gzip"))])
        assert alone.status_code == 201, alone.text[:300]
        assert [a["id"] for a in client.get("/v1/articles").json()["articles"]] == ["ghent-1"]
