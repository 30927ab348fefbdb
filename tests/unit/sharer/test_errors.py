"""The sharer's errors: a relay close is judged by the protocol's close codes."""

from __future__ import annotations

from quickassist.protocol.close_codes import CloseCode
from quickassist.sharer.errors import RelayClosed


def test_the_sharer_judges_a_close_by_the_same_set() -> None:
    for code in (*CloseCode, 1006, None):
        assert RelayClosed(code, "").final is CloseCode.is_final(code)
    assert RelayClosed(4404, "").message == CloseCode.UNKNOWN_SESSION.sentence
    assert RelayClosed(1006, "").message == "The connection to the service closed."
    assert RelayClosed(4404, "Gone.").message == "Gone."
