"""The one JSON reader for everything that arrives from the network.

Control messages (`messages.py`), frame payloads (`payloads.py`) and the clear end-to-end
handshake (`e2e.py`) all read their JSON here, so they are hardened the same way, in this order:

1. size: the limit is checked before anything else is done with the input;
2. encoding: bytes must be UTF-8 (no guessing of UTF-16/32, as `json.loads(bytes)` would);
3. nesting: the depth is measured without recursion before the decoder sees deep input (the C
   decoder recurses once per level and raises `RecursionError` near a thousand);
4. values: `NaN`, `Infinity` and numbers that overflow to infinity are refused (they are not
   JSON, and the browser's `JSON.parse` refuses them too);
5. shape: the top level must be an object.

Every failure is a `MessageError` with a plain sentence; nothing else escapes.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

from .errors import MessageError

# Limits ---------------------------------------------------------------------------------------
#: Deepest nesting accepted. The deepest message on the wire is 3 levels (an annotation's
#: points: object > array > [x, y]); 16 leaves room to grow and stays far below the decoder's
#: recursion limit.
MAX_DEPTH = 16

#: A JSON string, or an unterminated one up to the end (the decoder reads it the same way, with
#: no nesting inside). Possessive quantifiers never backtrack: the scan stays linear on input
#: like '"\\"\\"\\"...' (the plain pattern rescans from every quote: 16 000 of them took 5 s).
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
#: Outside strings, an opening bracket is a step down (+1 as a signed byte), a closing one a step
#: up (0xff = -1), and every other byte is deleted.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def read_json_object(
    data: str | bytes | bytearray | memoryview,
    *,
    limit: int,
    what: str,
    max_depth: int = MAX_DEPTH,
) -> dict[str, Any]:
    """The JSON object in `data`, at most `limit` UTF-8 bytes; else `MessageError`.

    `what` names the thing for people, capitalised, as in "A chat payload" or "A control
    message": the sentences read "A chat payload must be a JSON object."
    """
    if len(data) > limit:  # a str is never shorter in UTF-8 than in characters
        raise MessageError(f"{what} may be at most {limit} bytes.")
    try:
        if isinstance(data, str):
            text = data
            size = len(text.encode("utf-8"))  # lone surrogates cannot be sent: refused
        else:
            text = bytes(data).decode("utf-8")
            size = len(data)
    except UnicodeError as exc:
        raise MessageError(f"{what} must be UTF-8 JSON.") from exc
    if size > limit:
        raise MessageError(f"{what} may be at most {limit} bytes.")
    # Cheap bound first: the depth cannot exceed the number of opening brackets, and most
    # payloads (input events, chat, handshakes) have a handful.
    if text.count("[") + text.count("{") > max_depth and nesting_depth(text) > max_depth:
        raise MessageError(f"{what} is nested too deeply.")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        # ValueError: not JSON, a constant or an overflowing float above, or an integer of more
        # digits than Python converts (int_max_str_digits). RecursionError cannot happen after
        # the depth check; it is caught so that a future change to the check fails safe.
        raise MessageError(f"{what} must be UTF-8 JSON.") from exc
    if not isinstance(value, dict):
        raise MessageError(f"{what} must be a JSON object.")
    return value


def nesting_depth(text: str) -> int:
    """How deep the brackets of `text` nest, outside strings, counted without recursion.

    Meant for input about to be decoded: for malformed text it is an upper bound of sorts (an
    unterminated string's brackets count), which is fine, since such text is refused anyway.
    """
    # Outside strings valid JSON is ASCII, so dropping other characters loses no bracket; all the
    # work is done by C loops (about 1 ms for an annotation of 10 000 points, where json.loads
    # takes 2-10 ms).
    outside = _STRING.sub("", text).encode("ascii", "ignore")
    steps = memoryview(outside.translate(_STEPS, _NOT_BRACKETS)).cast("b")
    return max(0, max(itertools.accumulate(steps), default=0))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError("a number too large for a float")
    return value
