"""OpenAI chat-completions wire shapes: the subset Citewire honours, plus its own extra fields.

Requests accept any other OpenAI parameter (``extra="allow"``) and ignore it; the few whose
meaning Citewire cannot honour are rejected in the route (see ``openai_compat.unsupported``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas import CitationOut, SearchFilters
from app.request_types import MAX_CHAT_MESSAGES, DateIn, Flag, count

MODEL_ID = "citewire"
# Citewire's own parameters, and the filters that go inside ``filters``. An unknown parameter that is one of these
# misplaced or misspelt ("filter", "sources", "topk") is refused: it answered unfiltered. Any other unknown parameter
# (OpenAI's newest, another server's sampling knob) is ignored, as before: clients send what their SDK knows.
CITEWIRE_PARAMETERS = ("top_k", "filters", "as_of")
FILTER_FIELDS = tuple(SearchFilters.model_fields)
TEXT_PART_TYPES = ("text", "input_text")  # Chat Completions' and the Responses API's text parts


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """String content, or the text parts joined (images and audio parts carry no question)."""
        if isinstance(self.content, str):
            return self.content.strip()
        return "\n".join(p.text for p in self.content or [] if p.type in TEXT_PART_TYPES and p.text).strip()


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    # "yes" was read as true; null is the default, as OpenAI's API declares it (and the openai SDK sends it)
    include_usage: Flag | None = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "model": MODEL_ID, "messages": [{"role": "user", "content": "What did Kim pledge to Putin?"}],
    }]})

    model: str = Field(description=f"Must be {MODEL_ID!r} (see GET /v1/models).")
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=MAX_CHAT_MESSAGES, description=(
        "The conversation; the last user message is the question. System, developer and tool messages "
        "are ignored: answers come from the articles only."))
    # null is the default (false), as OpenAI's API declares it: the openai SDK sends `stream=None` as null (a 400)
    stream: Flag | None = Field(default=False, description="chat.completion.chunk events, then `data: [DONE]`.")
    stream_options: StreamOptions | None = None
    # Sampling knobs are ignored (the answer is quoted, not sampled), and so is a value out of OpenAI's range (the
    # README says so), but a value of the wrong type is refused: "temperature": "hot" answered 200.
    temperature: Annotated[float, Field(strict=True)] | None = Field(default=None, description="Ignored: answers are quoted, not sampled.")
    top_p: Annotated[float, Field(strict=True)] | None = Field(default=None, description="Ignored: answers are quoted, not sampled.")
    # Rejected unless harmless (Citewire returns one verified answer, without logprobs or JSON modes).
    n: count(1, 128) | None = None  # OpenAI's range; a JSON true is refused, not read as 1
    logprobs: bool | None = None
    response_format: dict | None = None
    tool_choice: str | dict | None = None
    function_call: str | dict | None = None  # the legacy form of tool_choice
    modalities: list[str] | None = None
    # Citewire's own knobs (the openai client sends them with ``extra_body``).
    # read as /v1/ask reads it (app/request_types.count): "5" is 5, a JSON true is refused (it was read as 1)
    top_k: count(1, 50) | None = Field(default=None, description="Citewire: passages to answer from.")
    filters: SearchFilters | None = Field(default=None, description="Citewire: restrict sources or dates.")
    as_of: DateIn | None = Field(default=None, description="Citewire: answer as of this date or date and time.")


class CitewireInfo(BaseModel):
    answerable: bool
    refusal_reason: str | None = None
    standalone_question: str = Field(description="The last user message rewritten to stand alone; what was asked.")
    mode: str = Field(description="extractive (no LLM) or llm.")
    guard: dict | None = None
    fallback: dict | None = Field(default=None, description="{from: \"llm\", reason, tried} when the LLM failed or "
                                  "was cooling down and the extractive answerer answered instead; null otherwise.")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The answer with [n] markers, then a 'Sources:' list.")
    refusal: None = None
    citations: list[CitationOut] = Field(description="Citewire: the structured citations behind each [n].")
    citewire: CitewireInfo


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    system_fingerprint: str
    choices: list[Choice]
    usage: Usage


class ModelCard(BaseModel):
    id: str = MODEL_ID
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "citewire"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIErrorBody(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorResponse(BaseModel):
    error: OpenAIErrorBody
