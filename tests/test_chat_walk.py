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
    assert QuestionCondenser().standalone([*HISTORY, {"role": "user", "content": "Why?"}]) == "Why? (Kim, Putin)"


def test_chat_refuses_a_turn_of_only_punctuation_after_a_real_question(corpus_services):
    from app.main import create_app

    with TestClient(create_app(corpus_services.settings, services=corpus_services)) as client:
        reply = client.post("/v1/chat", json={"messages": [*HISTORY, {"role": "user", "content": "?!"}]}).json()
    assert reply["standalone_question"] == "?!" and reply["answerable"] is False and not reply["citations"]
