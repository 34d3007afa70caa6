"""Markdown articles are stored as the words a reader sees, not their markup."""

from __future__ import annotations

from app.ingest.loaders import load_bytes
from app.ingest.markdown_text import markdown_to_text


def test_emphasis_links_images_and_escapes_leave_only_the_words():
    text = markdown_to_text("**Kim** pledged [full support](https://x.org/a) to Putin, who said \\*thanks\\*. "
                            "![a photo](kim.png)")
    assert text == "Kim pledged full support to Putin, who said *thanks*."


def test_headings_and_paragraphs_are_blocks_and_a_wrapped_paragraph_is_one_line():
    assert markdown_to_text("# Big news\n\nThe council voted\non Tuesday.\n\n## Next\n\nWork starts in May.") == \
        "Big news\n\nThe council voted on Tuesday.\n\nNext\n\nWork starts in May."


def test_list_items_keep_their_markers_one_a_line():
    """Bullet highlights stay bullets: the summariser reads "- …" lines as highlights."""
    assert markdown_to_text("Intro.\n\n- first point\n- second *point*\n  1. nested\n\nAfter.") == \
        "Intro.\n\n- first point\n- second point\n  1. nested\n\nAfter."


def test_text_that_only_looks_like_markup_stays():
    assert markdown_to_text("snake_case, 5*3 and a #hashtag stay.") == "snake_case, 5*3 and a #hashtag stay."


def test_a_markdown_file_is_stored_without_its_markup_and_keeps_its_title_and_front_matter():
    raw = b"---\nsource: Daily\n---\n# Big *news*\n\nThe **council** voted [to rebuild](https://e.org) the wall.\n"
    article = next(load_bytes("story.md", raw)).article
    assert article.title == "Big news" and article.source == "Daily"
    assert article.text == "Big news\n\nThe council voted to rebuild the wall."


def test_an_html_page_without_a_sentence_is_refused_not_stored():
    """A home page's menu ("News\\nSport\\nWeather") was stored as an article."""
    page = (b"<html><head><title>Home</title></head><body><nav><a href=/a>News</a> <a href=/b>Sport</a>"
            b" <a href=/c>Weather</a></nav><footer>Cookies. Privacy policy.</footer></body></html>")
    loaded = next(load_bytes("home.html", page))
    assert loaded.article is None and loaded.error.startswith("no article text found in the HTML")
    brief = b"<html><body><article><h1>Storm</h1><p>The storm hit the coast on Monday.</p></article></body></html>"
    assert next(load_bytes("brief.html", brief)).article.text.endswith("The storm hit the coast on Monday.")


def test_html_blocks_keep_their_words_and_tables_keep_their_rows():
    """A review: a <div> typed into the Markdown lost its sentence (the vote question was then refused), and a pipe
    table became one line."""
    text = markdown_to_text("The council met.\n\n<div>\nThe council approved it by 7 to 2.\n</div>\n\n"
                            "<script>var x = 1;</script>\n\n| Member | Vote |\n|---|---|\n| Smith | yes |\n| Jones | no |\n\n"
                            "- \n- real item\n")
    assert text == "The council met.\n\nThe council approved it by 7 to 2.\n\nMember | Vote\nSmith | yes\nJones | no" \
                   "\n\n- real item"


def test_a_page_of_unpunctuated_menu_items_is_refused():
    """The sentence check is one pass over the text (it backtracked: a 26 KB page of menu items took 15 s of a
    request thread; docs/performance.md keeps timings out of unit tests, so this checks the answer only)."""
    from app.ingest.loaders import _has_sentence

    page = ("<html><body>" + "".join(f"<p>{'item ' * 40}</p>" for _ in range(60)) + "</body></html>").encode()
    assert next(load_bytes("menu.html", page)).article is None
    assert not _has_sentence("word " * 40_000) and _has_sentence("word " * 40_000 + "ends here.")


def test_a_page_in_a_language_without_spaces_has_sentences_too():
    """The sentence check counted words by spaces: a Chinese news page (sentences end in "。") was refused."""
    from app.ingest.loaders import _has_sentence

    assert _has_sentence("台风周一袭击了沿海地区，造成多人受伤。") and not _has_sentence("新闻\n体育\n天气")


_STRIKE = (b"# Glimmerfjord ferry strike ends\n\nFerry workers in Glimmerfjord returned to work on Monday after a five-day"
           b" strike, the union said on Saturday.\n\nThe strike had stranded hundreds of commuters and cut the island's"
           b" supply of fresh food.\n")


def test_the_headline_kept_as_the_first_line_is_never_an_answer_sentence():
    """A Markdown "# …" (or an HTML <h1>) stays in the stored text, and the answer quoted it as a second sentence
    ("Glimmerfjord ferry strike ends [2]"): a headline repeats the article, it states no fact of its own."""
    from app.answer.extractive import candidate_sentences
    from app.retrieval.service import Passage

    article = next(load_bytes("note.md", _STRIKE)).article
    assert article.text.startswith(article.title + "\n")  # the premise: the headline is in the body
    passage = Passage("note:0:x", "note", 0, article.title, "", "", None, article.text, 0, len(article.text), 1.0)
    quoted = [c.text for c in candidate_sentences([passage])]
    assert quoted and article.title not in quoted
    assert quoted[0].startswith("Ferry workers")
    retitled = Passage("note:0:x", "note", 0, "Other headline", "", "", None, article.text, 0, len(article.text), 1.0)
    assert article.title in [c.text for c in candidate_sentences([retitled])]  # only the article's own headline goes


def test_an_answer_over_a_markdown_article_cites_its_sentences_not_its_headline(tmp_path):
    from app.config import Settings
    from app.services import build_services

    services = build_services(Settings(data_dir=tmp_path / "d"))
    try:
        services.ingest.ingest(list(load_bytes("note.md", _STRIKE)))
        answer = services.answers.ask("When did the Glimmerfjord strike end?")
        assert answer.answerable and answer.citations
        assert all(c.quote != "Glimmerfjord ferry strike ends" for c in answer.citations)
    finally:
        services.close()
