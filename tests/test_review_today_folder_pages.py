"""Review of 54483a0 (a folder page named on its own is named after its folder, as walking that folder names it):
the folder was read from the resolved file, so an index.html that is a link to a file elsewhere was named after the
target's folder ("store"), where walking its folder names it after that folder ("news")."""
from __future__ import annotations

import os

import pytest

from app.ingest.loaders import load_path, walk_paths

PAGE = ("<html><head><title>Ferry</title></head><body><article><p>"
        + "The ferry to the island was cancelled on Tuesday after a storm hit the coast. " * 4
        + "</p></article></body></html>")


def ids(path, walked_from=None):
    return [record.article.id for record in load_path(path, walked_from)]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_a_linked_folder_page_is_named_after_its_own_folder(tmp_path, monkeypatch):
    (tmp_path / "store").mkdir()
    (tmp_path / "site" / "news").mkdir(parents=True)
    (tmp_path / "store" / "page.html").write_text(PAGE)
    page = tmp_path / "site" / "news" / "index.html"
    page.symlink_to(tmp_path / "store" / "page.html")
    walked = [ids(path, folder) for path, folder in walk_paths([tmp_path / "site" / "news"])]
    assert walked == [["news"]]
    assert ids(page) == ["news"]  # was "store"
    monkeypatch.chdir(tmp_path / "site" / "news")
    assert ids(type(page)("index.html")) == ids(type(page)("./index.html")) == ["news"]
    assert ids(type(page)("../news/index.html")) == ["news"]
