"""Security codes: generation, normalisation and validation.

A code is 6 characters from a 30-character alphabet without look-alikes (no 0/O, 1/I/L, U/V
confusion), so 30**6 (about 729 million) codes exist. People read codes over the phone: input is
case-insensitive and spaces and dashes are ignored. Generation uses the operating system's CSPRNG
(`secrets`); tests may pass their own `random.Random`-like source only through `choice`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .errors import InvalidCode

#: Digits and upper-case letters without 0, O, 1, I, L, U (U reads like V on bad lines).
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 6
#: A code is valid this long after it is issued (DESIGN.md: 10 minutes).
CODE_LIFETIME_SECONDS = 600.0

#: What people and chat apps put between groups: spaces (also no-break and thin ones, as pasted
#: from chat) and dashes (also the typographic ones and the minus sign that editors substitute).
_IGNORED = str.maketrans(
    "", "", " -\t\r\n\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d"
)


@dataclass(frozen=True, slots=True)
class SessionCode:
    """A normalised security code (upper case, no separators)."""

    value: str

    def __post_init__(self) -> None:
        if len(self.value) != CODE_LENGTH or any(c not in ALPHABET for c in self.value):
            raise InvalidCode(
                f"A code has {CODE_LENGTH} letters and digits. Check the code and type it again."
            )

    @classmethod
    def parse(cls, text: str) -> SessionCode:
        """Normalise what a person typed (case, spaces, dashes) and validate it."""
        if not isinstance(text, str):
            # JSON bodies can carry a number or null where the code belongs.
            raise InvalidCode("A code is text: 6 letters and digits, like ABC-234.")
        return cls(normalize(text))

    def display(self) -> str:
        """The code as shown to people: two groups of three (``ABC-234``)."""
        return f"{self.value[:3]}-{self.value[3:]}"

    def __str__(self) -> str:
        return self.value


def normalize(text: str) -> str:
    """Upper-case `text` and drop spaces and dashes; nothing else is changed."""
    return text.translate(_IGNORED).upper()


def generate(choice: Callable[[Sequence[str]], str] = secrets.choice) -> SessionCode:
    """A fresh random code. `choice` defaults to the CSPRNG; tests can pass a seeded one."""
    return SessionCode("".join(choice(ALPHABET) for _ in range(CODE_LENGTH)))


def code_space() -> int:
    """How many distinct codes exist."""
    return int(len(ALPHABET) ** CODE_LENGTH)
