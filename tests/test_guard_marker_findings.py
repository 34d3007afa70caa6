"""What the faithfulness guard does with citations and output shapes real models write: <think> blocks, marker
variants ([ 1 ], 【1】, [1-2]), numbered lists, a marker after a closing quote, citations that support nothing, the
judge budget of a summary. Found by a bug hunt, 2026-11-29; each failed on the code before its fix."""

from __future__ import annotations

import pytest

from app.answer.guard import split_cited
from tests import test_llm
from tests.test_llm import GOOD, llm_services

MET = "Kim met Putin at the Vostochny Cosmodrome"
TREATY = "Putin and Kim signed a treaty on a comprehensive strategic partnership"


fake = test_llm.fake  # the fake OpenAI-compatible server fixture


def _judge_off(tmp_path, fake, **overrides):
    return llm_services(tmp_path, fake, guard_judge_budget=0, llm_fallback_extractive=False, **overrides)


def test_a_marker_after_a_closing_quote_stays_with_its_own_sentence():
    """'… a "sacred fight." [1] Putin …' was read as ONE sentence citing [1, 3]: each claim lost its own citation."""
    parts = split_cited(f'Kim described the war as a "sacred fight." [1] {TREATY} [3].')
    assert parts == [('Kim described the war as a "sacred fight."', [1]), (f"{TREATY}.", [3])]


@pytest.mark.parametrize("marker, numbers", [("[ 1 ]", [1]), ("【1】", [1]), ("[1-2]", [1, 2]), ("[Passage 1]", [1])])
def test_common_citation_marker_variants_are_read_as_citations(marker, numbers):
    """A supported sentence whose marker is written a little differently kept the marker as text ("… Moscow 【1】."):
    its stray "1" is an unaligned number to the checker, and the sentence was dropped (answer refused / extractive)."""
    assert split_cited(f"{GOOD} {marker}.") == [(f"{GOOD}.", numbers)]


def test_extra_citations_that_support_nothing_are_not_kept(tmp_path, fake):
    """A sentence citing [1][2][3] where only [1] supports it was kept with all three: the guard checks the union of
    the cited passages, so citations 2 and 3 quote sentences that say nothing of the claim."""
    services = _judge_off(tmp_path, fake, llm_excerpt_sentences=0, llm_passages=3)
    fake.reply("Kim pledged that North Korea would give full and unconditional support to Moscow [1][2][3].")
    answer = services.answers.ask("What did Kim pledge to Putin?")
    assert answer.answerable
    assert len(answer.citations) == 1, [c.quote for c in answer.citations]
    assert "unconditional support" in answer.citations[0].quote


def test_a_numbered_list_answer_is_not_dropped_for_its_item_numbers(tmp_path, fake):
    """'1. <supported sentence> [1]' : the list number reads as an unaligned number, and every item was dropped."""
    services = _judge_off(tmp_path, fake)
    fake.reply(f"1. {GOOD} [1]\n2. {MET} [1]")
    answer = services.answers.ask("What did Kim pledge?")
    assert answer.answerable and answer.mode == "llm", answer.guard
    assert not answer.answer.startswith("1.")


def test_a_duplicated_marker_is_kept_not_counted_as_fixed(tmp_path, fake):
    """'… [1]. [1]' or '[1][1]': the model cited the right passage; the guard counted it 're-attributed' (fixed)."""
    services = _judge_off(tmp_path, fake)
    fake.reply(f"{GOOD} [1][1].")
    answer = services.answers.ask("What did Kim pledge?")
    assert answer.guard["kept"] == 1 and answer.guard["fixed"] == 0, answer.guard


# --- reasoning models: <think> … </think> in the content (Qwen3, DeepSeek-R1 distills through Ollama / llama.cpp)


def test_a_think_block_on_the_answers_line_does_not_leak_into_the_answer(tmp_path, fake):
    services = llm_services(tmp_path, fake, llm_fallback_extractive=False)
    fake.reply_with(lambda body: "yes 0.9" if body.get("logprobs") else "INSUFFICIENT_CONTEXT")
    fake.reply(f"<think>Passage 1 says {MET}.</think> {GOOD} [1].")
    answer = services.answers.ask("What did Kim pledge?")
    assert answer.answerable and "think>" not in answer.answer, answer.answer


def test_a_think_block_is_not_answered_as_claims(tmp_path, fake):
    services = _judge_off(tmp_path, fake)
    fake.reply(f"<think>\n{MET}.\n</think>\n\n{GOOD} [1].")
    answer = services.answers.ask("What did Kim pledge?")
    assert [s.text for s in answer.sentences] == [f"{GOOD}."], answer.answer


def test_a_think_block_that_considers_insufficient_context_does_not_refuse_the_answer(tmp_path, fake):
    services = _judge_off(tmp_path, fake)
    fake.reply("<think>If the passages do not say, I must reply INSUFFICIENT_CONTEXT. Passage 1 says it.</think>\n"
               f"{GOOD} [1].")
    answer = services.answers.ask("What did Kim pledge?")
    assert answer.answerable and answer.mode == "llm", answer.refusal_reason


def test_a_think_block_is_not_the_condensed_chat_question(tmp_path, fake):
    from fastapi.testclient import TestClient

    from app.main import create_app

    services = _judge_off(tmp_path, fake)
    fake.reply("<think>\nThe user asks who went with Kim.\n</think>\nWho accompanied Kim Jong Un to Vostochny?")
    fake.reply("INSUFFICIENT_CONTEXT")
    with TestClient(create_app(services.settings, services=services)) as client:
        body = client.post("/v1/chat", json={"messages": [
            {"role": "user", "content": "What did Kim pledge to Putin?"},
            {"role": "assistant", "content": "Full and unconditional support [1]."},
            {"role": "user", "content": "And who went with him?"}]}).json()
    assert "think" not in body["standalone_question"], body["standalone_question"]


def test_a_bracketed_year_range_is_prose_not_citations():
    """'[2019-2020]' was read as the citations 2019 and 2020 and taken out of the claim (a review finding)."""
    from app.answer.guard import split_cited

    [(text, cited)] = split_cited("Prices rose sharply over [2019-2020] in the region [1].")
    assert "[2019-2020]" in text and cited == [1]
