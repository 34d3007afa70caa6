"""Chat: turn a follow-up ("And who went with him?") into a standalone question, then ask it.

Conversation state lives with the client: every request carries the messages so far, so any
server replica can answer and nothing needs expiring. With an LLM the rewrite uses the
``condense`` prompt; without one, a documented heuristic adds the earlier turns' key terms to a
follow-up by its wording; a turn that names nothing is asked as typed or with the earlier names,
whichever the passages answer. A turn the LLM should have rewritten and could not (down, or cooling down) is
answered without it too (``Turn.outage``), so its answer's ``fallback`` says the turn had a no-LLM reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from app.answer.alignment import MONTHS, WEEKDAYS
from app.llm.client import LLMClient
from app.llm.status import LLMStatus
from app.prompts import Prompt
from app.text import QUESTION_WORDS, STOPWORDS, name_tokens, proper_names, words

_POINTING = r"\b(he|him|his|she|her|they|them|their|it|its|that|this|those|these|there|then)\b"  # back to earlier turns
_FOLLOW_UP = re.compile(r"^(and|but|also|what about|how about|so)\b|" + _POINTING, re.I)


# A turn that thanks or acknowledges and asks nothing: followed up with the earlier names, "thanks (Kim, Putin)" was
# answered with three quotes ("Putin thanked North Korea …"). It is asked as typed, and AnswerService refuses it.
_PLEASANTRY = re.compile(r"^\W*(?:(?:ok(?:ay)?|great|cool|nice|perfect|got\s+it|thanks?(?:\s+you)?|thx|ty|cheers|bye|"
                         r"goodbye|good\s+bye)(?:\s+(?:a\s+lot|so\s+much|very\s+much))?\W*)+$", re.I)


def pleasantry(question: str) -> bool:
    """"thanks", "Thank you so much!", "ok, thanks": no question is asked."""
    return bool(_PLEASANTRY.match(question.strip()))


def needs_context(question: str) -> bool:
    content = [w for w in words(question) if w not in STOPWORDS and w not in QUESTION_WORDS]
    return bool(_FOLLOW_UP.search(question)) or len(content) < 2 or asks_nothing_itself(question)


def heuristic_rewrite(history: list[dict], question: str, names_only: bool = False) -> str:
    """Append the names (else content words) of the latest earlier user turn that has some, each earlier follow-up
    read as it was rewritten in its turn.

    "And who went with him?" after "What did Kim pledge to Putin?" → "And who went with him? (Kim, Putin)", and a
    third turn "Where did they meet?" → "… (Kim, Putin)" too (from the second turn as rewritten; as typed, it
    holds only "went").
    ``names_only``: a turn that does not read as a follow-up but names nothing (``QuestionCondenser.standalone``);
    the earlier content words would steer what may be a new question.
    """
    if not names_only and not needs_context(question):
        return question
    return _with_context(_asked_turns(history), question, names_only)


def _asked_turns(history: list[dict]) -> list[str]:
    """The earlier user turns as the heuristic asks them: each follow-up with its own earlier context."""
    asked: list[str] = []
    for message in history:
        if message["role"] == "user":
            text = message["content"]
            asked.append(_with_context(asked, text) if needs_context(text) else text)
    return asked


# Words that say nothing of what is asked about: "Where did he say it?", "What else?", "What happened next?" ask
# about the earlier turn's event ("what's" and the like: app.text.words keeps the apostrophe)
_EMPTY_WORDS = frozenset({"say", "says", "said", "happen", "happens", "happened", "do", "does", "did", "done",
                          "else", "next", "true", "what's", "that's", "it's", "who's", "where's", "when's", "how's"})


def asks_nothing_itself(question: str) -> bool:
    """A follow-up with no content word of its own ("And when?", "When was that?", "Where did he say it?"): it asks
    about the earlier turn's event, not only its people. A turn of no word at all ("?!") is none: it asks nothing."""
    found = words(question)
    return bool(found) and not any(w not in STOPWORDS and w not in QUESTION_WORDS and w not in _EMPTY_WORDS
                                   and not _FOLLOW_UP.fullmatch(w) for w in found)


CONTEXT_TERMS = 6  # earlier-turn words appended at most


def _with_context(asked: list[str], question: str, names_only: bool = False) -> str:
    """The latest earlier turn's names (else its content words); both, for a follow-up that asks nothing itself:
    "And when?" after "What did Kim pledge?" was asked as "And when? (Kim)" and answered with a 2025 visit."""
    whole_event = not names_only and asks_nothing_itself(question)
    for turn in reversed(asked):
        names = [n for n in dict.fromkeys(words(turn)) if n in proper_names(turn)]
        content = [w for w in dict.fromkeys(words(turn)) if w not in STOPWORDS and w not in QUESTION_WORDS]
        if whole_event:  # room for the event's words beside many names ("Kim Jong Un … Vladimir Putin … discuss")
            others = [w for w in content if w not in names]
            terms = names[:CONTEXT_TERMS - min(2, len(others))] + others
        else:
            terms = names or ([] if names_only else content)
        if terms:
            original = {w: w for w in words(turn)}
            shown = [_original_case(turn, t) for t in terms[:CONTEXT_TERMS] if t in original]
            return f"{question} ({', '.join(shown)})"
    return question


_POINTS_BACK = re.compile(_POINTING, re.I)


def _new_names(asked: list[str], question: str) -> set[str]:
    """The question's names that no earlier turn (as asked) names; a month or weekday is no new subject."""
    earlier = set().union(*(name_tokens(turn) for turn in asked)) if asked else set()
    return name_tokens(" ".join(proper_names(question))) - earlier - MONTHS - WEEKDAYS


def names_something(question: str) -> bool:
    """A name, or a word that may be one: a capitalised first word that is not a question or common word
    ("Chandrayaan-3 landed where?"), or any word of a question typed without capitals (names cannot be told there)."""
    if proper_names(question) or question == question.lower():
        return True
    first = words(question)[:1]
    return bool(first) and first[0] not in STOPWORDS and first[0] not in QUESTION_WORDS


def _original_case(text: str, word: str) -> str:
    match = re.search(rf"\b{re.escape(word)}\b", text, re.I)
    return match.group(0) if match else word


# Each earlier turn the condenser reads (heuristic or LLM), from its start (what a turn is about comes first): turns
# of any length are accepted, so the work and the prompt are bounded here, not by refusing the conversation.
CONDENSER_TURN_CHARS = 2000


@dataclass
class Turn:
    """A chat turn made standalone. ``outage``: (reason, tried) when the LLM was to rewrite it and failed as an outage
    or was cooling down, so the heuristic did: the answer then skips the LLM too and says why in its ``fallback``
    (AnswerService.ask), even when the LLM is back by then (a half-open trial of another request that succeeded, a
    5xx that opened no cooldown), as the user got a no-LLM reading of the turn either way."""
    question: str
    outage: tuple[str, bool] | None = None


class QuestionCondenser:
    def __init__(self, client: LLMClient | None = None, prompt: Prompt | None = None,
                 llm_status: LLMStatus | None = None) -> None:
        self.client = client
        self.prompt = prompt
        self.llm_status = llm_status or LLMStatus("extractive")

    def standalone(self, messages: list[dict], pick: Callable[[list[str]], str] | None = None) -> str:
        """``condense``'s question alone."""
        return self.condense(messages, pick).question

    def condense(self, messages: list[dict], pick: Callable[[list[str]], str] | None = None) -> Turn:
        """``pick``: chooses among readings of a turn the heuristic cannot place (AnswerService.likelier: the first
        the passages answer); without it the turn is asked as typed."""
        question = messages[-1]["content"].strip()
        # each earlier turn to its start, for the heuristic as for the LLM: a 5 MB turn took seconds to scan
        history = [{**m, "content": m["content"][:CONDENSER_TURN_CHARS]} for m in messages[:-1]]
        if not history or not words(question) or pleasantry(question):  # "?!", "😀", "thanks": nothing is asked,
            return Turn(question)  # so nothing is followed up
        if self.client is None or self.prompt is None:
            return Turn(self._heuristic(history, question, pick))
        cooling = self.llm_status.cooling()
        if cooling is not None:
            return Turn(self._heuristic(history, question, pick), (cooling, False))
        transcript = "\n".join(f"{m['role']}: {m['content']}" for m in history[-6:])
        try:
            rewritten = self.client.complete(self.prompt.render(history=transcript, question=question), 80).text.strip()
        except Exception as exc:
            reason = self.llm_status.failed(exc)
            if reason is None:
                raise
            # the LLM is down (CITEWIRE_LLM_OUTAGE_FALLBACK=extractive): the rewrite the no-LLM path makes; the answer
            # that follows skips the LLM too and says so in its `fallback`
            self.llm_status.fell_back(reason, tried=True, call="condense")
            return Turn(self._heuristic(history, question, pick), (f"{reason} (reading the chat turn)", True))
        self.llm_status.succeeded()
        rewritten = rewritten.splitlines()[0].strip() if rewritten else ""
        return Turn(rewritten if 3 <= len(rewritten) <= 2000 else heuristic_rewrite(history, question))

    @staticmethod
    def _heuristic(history: list[dict], question: str, pick: Callable[[list[str]], str] | None) -> str:
        """The rewrite without an LLM."""
        follow_up = needs_context(question)
        if not follow_up and names_something(question):
            return question
        asked = _asked_turns(history)  # the earlier turns as the heuristic asked them, replayed once
        with_names = _with_context(asked, question, names_only=True)
        if follow_up:
            rewritten = _with_context(asked, question)
            # "What about the Fed?", "What did Modi do?" after Kim: a name no earlier turn named, and no pronoun that
            # points back, changes the subject. With the earlier names it quoted the Kim article first; as typed when
            # the passages answer that ("Did he visit Russia?" still reads "he" as Kim)
            if pick and rewritten != question and _new_names(asked, question) and not _POINTS_BACK.search(question):
                return pick([question, rewritten])
            # a follow-up of a turn that named nothing ("Who scored?" after "Where was the final played?"), or one
            # that asks nothing itself ("And when?": the earlier turn's names and words): as rewritten, else with
            # the names alone, whichever the passages answer (the second reading costs an answer only when needed)
            if pick and with_names not in (rewritten, question):
                return pick([rewritten, with_names])
            return rewritten
        # "Where was the final played?" follows up the World Cup; "What is the latest on inflation?" starts anew
        return pick([question, with_names]) if pick and with_names != question else question
