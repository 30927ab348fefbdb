"""Byte mutations for the fuzzers: small edits of a valid input reach deeper than random bytes."""

from __future__ import annotations

import copy
import json
import random

#: Pieces that parsers of this protocol treat specially: JSON structure and constants, the
#: numbers at the edges of the fields' ranges, UTF-8 that is not valid, a frame header's bytes.
INTERESTING = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b":",
    b",",
    b"null",
    b"true",
    b"NaN",
    b"-Infinity",
    b"1e999",
    b"-0",
    b"65535",
    b"65536",
    b"4294967296",
    b"9" * 400,
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\x00",
    b"\x02\x27\x01\x00\x00\x00",  # a version 2 header's start: control-e2e, encrypted, seq 1
    b"\x01\x07\x00\x00",  # a version 1 (20-byte) header's start: an old peer
    b'"t":[]',
    b'"t":{}',
    b"[" * 64,
    b"]" * 64,
]


def mutate(rng: random.Random, data: bytes, *, rounds: int = 4) -> bytes:
    """`data` after 1 to `rounds` random edits (flip, insert, delete, repeat, splice)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, rounds)):
        at = rng.randint(0, len(out))
        choice = rng.randrange(7)
        if choice == 0 and out:  # flip bits of one byte
            at = min(at, len(out) - 1)
            out[at] ^= 1 << rng.randrange(8)
        elif choice == 1 and out:  # set a byte to an edge value
            at = min(at, len(out) - 1)
            out[at] = rng.choice((0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        elif choice == 2:  # insert an interesting piece
            out[at:at] = rng.choice(INTERESTING)
        elif choice == 3 and out:  # delete a run
            del out[at : at + rng.randint(1, 16)]
        elif choice == 4 and out:  # repeat a run (deep nesting, long strings)
            end = min(len(out), at + rng.randint(1, 8))
            out[at:at] = out[at:end] * rng.randint(2, 300)
        elif choice == 5:  # random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        else:  # cut
            del out[at:]
    return bytes(out)


#: Values a JSON field may be swapped for: every JSON type, and the edges of the ranges.
ODD_VALUES: list[object] = [
    None,
    True,
    False,
    0,
    -1,
    0.5,
    -0.0,
    65535,
    65536,
    2**31,
    2**63,
    -(2**63) - 1,
    10**30,
    1e308,
    "",
    "x",
    "x" * 70_000,
    "\u0000",
    "\ud83d\ude00",
    [],
    {},
    [[]],
    {"t": []},
    [0, 0],
    [1, 2, 3],
]


def mutate_json(rng: random.Random, data: bytes) -> bytes:
    """`data` with one value of its JSON swapped, dropped or added; byte edits if not JSON.

    Byte edits mostly break the JSON, so they test the reader; these keep it JSON and test the
    field checks behind it (the `{"t":[]}` kind of bug).
    """
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):  # the hostile seeds: deep nesting
        return mutate(rng, data)
    for _ in range(rng.randint(1, 3)):
        value = _swap(rng, value, depth=0)
    return json.dumps(value).encode()


def _swap(rng: random.Random, value: object, depth: int) -> object:
    if isinstance(value, dict) and value and depth < 4 and rng.random() < 0.8:
        key = rng.choice(list(value))
        roll = rng.random()
        if roll < 0.1:
            del value[key]
        elif roll < 0.2:
            value[rng.choice(["t", "type", "x", "v", "id", "extra"])] = _odd(rng)
        else:
            value[key] = _swap(rng, value[key], depth + 1)
        return value
    if isinstance(value, list) and value and depth < 4 and rng.random() < 0.8:
        at = rng.randrange(len(value))
        value[at] = _swap(rng, value[at], depth + 1)
        return value
    return _odd(rng)


def _odd(rng: random.Random) -> object:
    return copy.deepcopy(rng.choice(ODD_VALUES))  # a shared list would come back as a cycle
