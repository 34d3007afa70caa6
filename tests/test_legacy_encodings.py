"""Text files in legacy encodings (Windows-1252, Shift_JIS, a page that declares its charset) are read, over the
CLI and uploads alike; a file no encoding reads as text is one failed record with its reason, and the others
in the batch still land. They were all refused as "not UTF-8"."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings
from app.ingest.loaders import NOT_TEXT, decode_text
from app.main import create_app

CAFE = ("Le café de la gare à Zürich a rouvert lundi, a déclaré le maire. “C’est une très bonne nouvelle”, "
        "a-t-il ajouté.")
TOKYO = "東京の市場は月曜日に再開したと市長が述べた。多くの人が訪れた。"
PAGE = ('<html><head><meta charset="windows-1252"><title>Café news</title></head><body><article><h1>Café reopens'
        '</h1><p>Le café de la gare à Zürich a rouvert lundi, a déclaré le maire de la ville après des mois de '
        'travaux.</p></article></body></html>')


def legacy_files() -> dict[str, bytes]:
    return {
        "cafe-zurich.txt": CAFE.encode("cp1252"),
        "tokyo.md": f"---\ntitle: 東京の市場\n---\n{TOKYO}".encode("shift_jis"),
        "page.html": PAGE.encode("cp1252"),
        "plain.txt": "A plain UTF-8 article about the harbour wall that fell on Monday.".encode(),
        "binary.txt": os.urandom(3000),
    }


@pytest.mark.parametrize(("raw", "text"), [
    (CAFE.encode("cp1252"), CAFE),  # charset-normalizer alone ties cp1250 ("ŕ" for "à") with cp1252
    ("Café Zürich".encode("latin-1"), "Café Zürich"),  # too short to tell: Windows-1252, as browsers fall back
    (TOKYO.encode("shift_jis"), TOKYO),
    ("\ufeffUTF-8 with a BOM".encode(), "UTF-8 with a BOM"),
])
def test_decode_text_reads_legacy_encodings(raw, text):
    assert decode_text(raw) == text


def test_decode_text_gives_up_on_binary():
    assert decode_text(os.urandom(3000)) is None and decode_text(b"\x00\x01\x02\xff" * 200) is None


def test_cli_ingests_a_folder_of_legacy_files(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in legacy_files().items():
        (folder / name).write_bytes(data)
    env = {"CITEWIRE_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["ingest", "-q", str(folder)], env=env)
    assert result.exit_code == 1 and result.stdout.startswith("added 4, updated 0, unchanged 0, failed 1")
    assert f"failed: binary.txt: {NOT_TEXT}" in result.stderr and "Traceback" not in result.output
    answer = CliRunner().invoke(cli, ["search", "Zürich café", "--top-k", "1"], env=env).stdout
    assert "cafe-zurich" in answer or "page" in answer


def test_uploads_in_legacy_encodings_land_and_a_binary_one_fails_alone(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", warmup=False))) as client:
        files = [("files", (name, data)) for name, data in legacy_files().items()]
        response = client.post("/v1/articles", files=files)
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["added"], body["failed"]) == (4, 1)
        [failed] = [r for r in body["results"] if r["status"] == "failed"]
        assert failed["origin"] == "binary.txt" and failed["error"] == NOT_TEXT
        assert client.get("/v1/articles/cafe-zurich").json()["text"] == CAFE
        assert client.get("/v1/articles/tokyo").json()["title"] == "東京の市場"
        page = client.get("/v1/articles/page").json()
        assert page["title"] == "Café reopens" and "à Zürich" in page["text"]


# One news sentence per language in its usual legacy encoding. charset-normalizer alone reads most of the
# Western ones as Windows-1250 ("ń" for Spanish "ñ", "ŕ" for "à") and Turkish/Baltic ones in another code page;
# decode_text compares the readings against each language's alphabet.
LEGACY_SENTENCES = [
    ("El alcalde de Madrid anunció el lunes que la ciudad invertirá millones en la reparación de calles, según "
     "la señora Núñez.", "cp1252"),
    ("O prefeito de São Paulo anunciou na segunda-feira que a cidade investirá milhões em obras de reparação das "
     "estradas.", "cp1252"),
    ("Borgmästaren i Göteborg meddelade på måndagen att staden ska investera miljarder kronor i vägar.", "cp1252"),
    ("Il sindaco di Milano ha annunciato lunedì che la città investirà milioni di euro. Perché è importante.",
     "cp1252"),
    ("Il est allé à la gare à midi.", "cp1252"),
    ("Prezydent Warszawy ogłosił w poniedziałek, że miasto zainwestuje miliardy złotych w remonty dróg.", "cp1250"),
    ("Primátor Bratislavy v pondelok oznámil, že mesto investuje milióny eur do opráv ciest a výstavby.", "cp1250"),
    ("Gradonačelnik Zagreba u ponedjeljak je najavio da će grad uložiti milijune eura. Građani su zadovoljni.",
     "cp1250"),
    ("İstanbul belediye başkanı pazartesi günü yeni metro hatlarını açıkladı, şehir çok mutlu.", "cp1254"),
    ("Vilniaus meras pirmadienį paskelbė, kad miestas investuos milijonus eurų į kelių remontą.", "cp1257"),
    ("Президент России заявил в понедельник, что правительство выделит средства на ремонт дорог.", "cp1251"),
]


@pytest.mark.parametrize(("text", "encoding"), LEGACY_SENTENCES, ids=[e + ":" + t[:8] for t, e in LEGACY_SENTENCES])
def test_decode_text_reads_each_language_in_its_legacy_encoding(text, encoding):
    assert decode_text(text.encode(encoding)) == text
