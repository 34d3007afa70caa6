"""A tool's rejected arguments said in one line, ``field: reason; …``, not as pydantic's dump.

The SDK reports arguments that fail validation as ``str(ValidationError)``: several lines naming the generated model
(``askArguments``), echoing the rejected value (``input_value=…``) and linking pydantic's docs. The reasons below are
short predicates on the field, so ``top_k: must be at most 50``; a validator's own message (``question is empty``,
from app/request_types, as /v1/ask says it) is kept as it is.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from app.request_types import DATE_EXPECTED, error_message

MAX_NAMED_ERRORS = 5  # a list of 100 bad ids would otherwise be 100 reasons on one line

_WHOLE_NUMBER = {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}
_NUMBER = {"float_type", "float_parsing", "decimal_type", "decimal_parsing"}
_DATE = {"date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "datetime_type",
         "datetime_parsing", "datetime_from_date_parsing"}
_BOUNDS = {"less_than_equal": ("le", "must be at most"), "greater_than_equal": ("ge", "must be at least"),
           "less_than": ("lt", "must be less than"), "greater_than": ("gt", "must be more than")}
_TYPES = {"string_type": "must be a string", "list_type": "must be a list", "bool_type": "must be true or false",
          "bool_parsing": "must be true or false", "dict_type": "must be an object", "model_type": "must be an object",
          "model_attributes_type": "must be an object", "none_required": "must be null", "missing": "required"}


def _field(loc: tuple) -> str:
    """("sources", 0) -> sources[0]: the argument as the caller wrote it in its JSON."""
    name = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")
    return name or "arguments"


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _reason(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return _one_line(str(ctx["error"]))  # the validator's own words: "question is empty"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"{words} {ctx.get(key)}"
    if kind in _WHOLE_NUMBER:
        return "must be a whole number" + (", not true or false" if isinstance(error.get("input"), bool) else "")
    if kind in _NUMBER:
        return "must be a number"
    if kind in _DATE:
        detail = str(ctx.get("error", ""))
        shown = "outside expected range" in detail or "outside years" in detail  # what is wrong with a valid-looking date
        return f"must be {DATE_EXPECTED}" + (f" ({detail})" if shown else "")
    if kind in ("string_too_short", "too_short"):
        least, unit = ctx.get("min_length"), "characters" if kind == "string_too_short" else "items"
        return "must not be empty" if least == 1 else f"must have at least {least} {unit}"
    if kind in ("string_too_long", "too_long"):
        return f"must have at most {ctx.get('max_length')} {'characters' if kind == 'string_too_long' else 'items'}"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected')}"
    if kind in _TYPES:
        return _TYPES[kind]
    # anything else: pydantic's own sentence, which is already plain ("Input should be …" -> "should be …")
    message = error_message(error) or "is not valid"
    return _one_line(message[len("Input "):] if message.startswith("Input ") else message)


def argument_errors(exc: ValidationError) -> str:
    """``question: question is empty; top_k: must be at most 50``: every rejected argument, in the tool's order."""
    errors = exc.errors()
    named = [f"{_field(tuple(e.get('loc', ())))}: {_reason(e)}" for e in errors[:MAX_NAMED_ERRORS]]
    more = len(errors) - len(named)
    return "; ".join(named) + (f"; and {more} more" if more > 0 else "")
