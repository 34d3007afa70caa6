"""Odd chat turns met while walking /v1/chat as a new user."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.answer.chat import QuestionCondenser

HISTORY = [{"role": "user", "content": "What did Kim pledge to Putin?"},
           {"role": "assistant", "content": "Full and unconditional support [1]"}]


@pytest.mark.parametrize("noise", ["?!", "😀", "...", "¿?"])
def test_a_turn_without_a_word_is_not_followed_up_with_the_earlier_names(noise):
    """It became "?! (Kim, Putin)", which retrieval answered confidently with another article about Kim."""
    assert QuestionCondenser().standalone([*HISTORY, {"role": "user", "content": noise}]) == noise


def test_a_short_real_follow_up_still_gets_the_context():
    # "Why?" asks about the earlier turn's event, so its content words come too (tests/test_walk_web_openai_findings.py)
    assert QuestionCondenser().standalone([*HISTORY, {"role": "user", "content": "Why?"}]) == "Why? (Kim, Putin, pledge)"


def test_chat_refuses_a_turn_of_only_punctuation_after_a_real_question(corpus_services):
    from app.main import create_app

    with TestClient(create_app(corpus_services.settings, services=corpus_services)) as client:
        reply = client.post("/v1/chat", json={"messages": [*HISTORY, {"role": "user", "content": "?!"}]}).json()
    assert reply["standalone_question"] == "?!" and reply["answerable"] is False and not reply["citations"]


def test_chat_routes_take_the_same_conversations(corpus_services):
    """/v1/chat refused 51 messages and an earlier turn over 8,000 characters, and counted the question's cap
    before stripping; /v1/chat/completions took all three."""
    from app.main import create_app
    from app.request_types import MAX_CHAT_MESSAGES

    long_turns = [*HISTORY * 30, {"role": "assistant", "content": "word " * 20_000}]
    padded = " " * 5000 + "What did Kim pledge?" + " " * 5000
    with TestClient(create_app(corpus_services.settings, services=corpus_services)) as client:
        for messages in ([*long_turns, {"role": "user", "content": "What did Kim pledge?"}],
                         [{"role": "user", "content": padded}]):
            native = client.post("/v1/chat", json={"messages": messages})
            assert native.status_code == 200, native.text
            openai_style = client.post("/v1/chat/completions", json={"model": "citewire", "messages": messages})
            assert openai_style.status_code == 200, openai_style.text
            assert openai_style.json()["choices"][0]["message"]["citewire"]["standalone_question"] == \
                native.json()["standalone_question"]
        too_many = [*HISTORY * (MAX_CHAT_MESSAGES // 2), {"role": "user", "content": "Why?"}]
        assert client.post("/v1/chat", json={"messages": too_many}).status_code == 422
        assert client.post("/v1/chat/completions", json={"model": "citewire", "messages": too_many}).status_code == 400


def test_the_llm_condenser_reads_each_earlier_turn_to_a_bounded_length():
    from types import SimpleNamespace

    from app.answer.chat import CONDENSER_TURN_CHARS
    from app.config import Settings
    from app.prompts import load_prompt

    prompts = []

    class RecordingClient:
        def complete(self, prompt, max_tokens):
            prompts.append(prompt)
            return SimpleNamespace(text="Who went with Kim to Vostochny?")

    history = [{"role": "user", "content": "What did Kim pledge?"},
               {"role": "assistant", "content": "Kim pledged support. " + "x" * 50_000}]
    condenser = QuestionCondenser(RecordingClient(), load_prompt(Settings().prompts_dir, "condense"))
    assert condenser.standalone([*history, {"role": "user", "content": "And who went with him?"}]) == \
        "Who went with Kim to Vostochny?"
    sent = "\n".join(message["content"] for message in prompts[0])  # the rendered chat messages
    assert "Kim pledged support." in sent and len(sent) < 2 * CONDENSER_TURN_CHARS + 2_000


@pytest.fixture(scope="module")
def sample_services(tmp_path_factory):
    """The bundled samples alone, as `citewire serve --samples` serves them: with ../shared's two real articles
    beside them (corpus_services) the document frequencies differ, and an answer at the threshold passed in CI and
    failed without ../shared."""
    from app.config import Settings
    from app.samples import index_samples
    from app.services import build_services

    built = build_services(Settings(data_dir=tmp_path_factory.mktemp("chat-samples") / "data"))
    assert index_samples(built.ingest).counts["failed"] == 0
    yield built
    built.close()


@pytest.mark.parametrize("first, follow_up, article", [
    # answered since the threshold follows the index's size: over the samples alone "How many people died?
    # (Morocco)" scores answerability 0.36, under the full index's 0.42 but over the samples' 0.29
    ("How strong was the Morocco earthquake?", "How many people died?", "morocco-earthquake-2023"),
    # "Where was the final played?" is answered as typed over the samples since their threshold is theirs (Sydney)
    ("Who won the Women's World Cup final?", "Where was the match played?", "womens-world-cup-final-2023"),
])
def test_a_follow_up_that_names_nothing_is_read_with_the_earlier_names(sample_services, first, follow_up, article):
    """Without "and"/"he"/"it" the follow-up went through as typed and was refused: it names nothing to look for."""
    from app.main import create_app

    messages = [{"role": "user", "content": first}, {"role": "assistant", "content": "… [1]"},
                {"role": "user", "content": follow_up}]
    with TestClient(create_app(sample_services.settings, services=sample_services)) as client:
        reply = client.post("/v1/chat", json={"messages": messages}).json()
    assert reply["standalone_question"].startswith(follow_up + " (") and reply["answerable"], reply
    assert reply["citations"][0]["article_id"] == article


@pytest.mark.parametrize("question", ["What did the Fed decide on rates?", "Chandrayaan-3 landed where?",
                                      "what did the federal reserve decide on interest rates?"])
def test_a_new_question_that_names_something_or_is_typed_in_lower_case_is_asked_as_typed(question):
    """A first-word name or a question without capitals read as naming nothing and got "(Kim, Putin)": "Chandrayaan-3
    landed where? (Kim, Putin)" was refused where the question as typed is answered."""
    def pick(readings):
        raise AssertionError(f"nothing to choose for {question!r}: {readings}")

    assert QuestionCondenser().standalone([*HISTORY, {"role": "user", "content": question}], pick) == question


def test_a_turn_that_names_nothing_is_asked_as_typed_when_the_passages_answer_it(corpus_services):
    """"What did the central bank do with interest rates?" after a question about Kim starts anew: the Fed article answers it as
    typed, so it is not steered to Kim."""
    from app.main import create_app

    messages = [*HISTORY, {"role": "user", "content": "What did the central bank do with interest rates?"}]
    with TestClient(create_app(corpus_services.settings, services=corpus_services)) as client:
        reply = client.post("/v1/chat", json={"messages": messages}).json()
        completion = client.post("/v1/chat/completions", json={"model": "citewire", "messages": messages}).json()
    assert reply["standalone_question"] == "What did the central bank do with interest rates?" and reply["answerable"], reply
    assert reply["citations"][0]["article_id"] == "fed-holds-rates-sept-2023"
    assert "Federal Reserve" in completion["choices"][0]["message"]["content"]  # the same reading there


class CountingRetrieval:
    """The real retrieval, counting the questions it is asked."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.asked: list[str] = []

    def search(self, question, **options):
        self.asked.append(question)
        return self.inner.search(question, **options)


@pytest.mark.parametrize("turn, answered_as_typed", [
    ("What did the central bank do with interest rates?", True),  # answered as typed: one reading tried
    ("Where was the match played?", False),  # refused as typed, answered with the World Cup question's names
])
def test_the_reading_a_chat_turn_is_asked_as_is_retrieved_and_answered_once(corpus_services, turn, answered_as_typed):
    """The route asked the chosen reading again after ``likelier`` had answered it: one more retrieval and selection
    per nameless turn. The answer handed back is the one ``ask`` gives, streamed the same way."""
    from app.answer.service import AnswerService, ReadingPicker

    shipped = corpus_services.answers
    counting = CountingRetrieval(shipped.retrieval)
    answers = AnswerService(counting, shipped.extractive, shipped.top_k)
    history = [{"role": "user", "content": "Who won the Women's World Cup final?"}, {"role": "assistant", "content": "…"}]
    picker = ReadingPicker(answers)
    question = QuestionCondenser().standalone([*history, {"role": "user", "content": turn}], picker)
    assert (question == turn) is answered_as_typed
    tried = len(counting.asked)
    assert tried == (1 if answered_as_typed else 2), counting.asked
    answer = picker.ask(question)
    events = list(picker.stream(question))
    assert len(counting.asked) == tried  # neither asked nor streamed again
    again = shipped.ask(question)
    assert answer.answerable and answer.answer == again.answer and answer.citations == again.citations
    assert events[-1] == ("answer", answer) and "".join(d for kind, d in events[:-1]).startswith(answer.sentences[0].text)
    assert picker.ask("Something else entirely?") is not answer  # another question is asked anew
    assert len(counting.asked) == tried + 1
