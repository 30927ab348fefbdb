"""The controller's part in flow control: video in flight by the console's acknowledgements,
the window held and opened, reset with new keys, and the helper's quality choice passed on."""

from __future__ import annotations

from quickassist.protocol.frames import FrameKind, decode_frame
from quickassist.protocol.messages import PeerLeft, PeerReturned
from quickassist.protocol.payloads import CursorUpdate, FrameDrawn, QualityChoice, encode_payload
from quickassist.protocol.roles import Role
from quickassist.sharer import controller_effects as fx
from quickassist.sharer.pacing import UNKNOWN_ACK_TIMEOUT
from tests.fixtures.controller_driver import Captured
from tests.unit.sharer.test_controller import sharing


def sequence_of(sent: list[fx.SendFrame]) -> int:
    (frame,) = sent
    return decode_frame(frame.data).header.sequence


def test_two_video_frames_fill_the_window_and_an_acknowledgement_opens_it() -> None:
    run = sharing()
    controller = run.controller
    assert controller.video_hold(run.now) is None
    first = sequence_of(run.capture())
    assert controller.video_hold(run.now) is None
    run.capture()
    held = controller.video_hold(run.now)
    assert held is not None and 0 < held <= UNKNOWN_ACK_TIMEOUT
    run.now += 0.03
    effects = run.receive(run.seal(FrameKind.CONTROL_E2E, FrameDrawn(first, 5)))
    (opened,) = [e for e in effects if isinstance(e, fx.WindowOpened)]
    assert opened.link.known
    assert controller.video_hold(run.now) is None


def test_cursor_updates_are_not_counted_in_flight() -> None:
    run = sharing()
    cursor = Captured(FrameKind.CURSOR, encode_payload(CursorUpdate(1, 2, True)))
    for _ in range(5):
        assert run.capture(cursor)
    assert run.controller.video_hold(run.now) is None


def test_an_acknowledgement_of_nothing_in_flight_opens_nothing() -> None:
    run = sharing()
    run.capture()
    effects = run.receive(run.seal(FrameKind.CONTROL_E2E, FrameDrawn(12345, 0)))
    assert not [e for e in effects if isinstance(e, fx.WindowOpened)]
    assert run.controller.pacing.frames_in_flight == 1


def test_without_acknowledgements_the_window_opens_at_the_timeout() -> None:
    run = sharing()
    run.capture()
    run.capture()
    assert run.controller.video_hold(run.now) is not None
    run.now += UNKNOWN_ACK_TIMEOUT
    assert run.controller.video_hold(run.now) is None
    assert run.controller.pacing.timed_out == 2


def test_a_returning_helper_s_new_keys_start_an_empty_window() -> None:
    run = sharing()
    run.capture()
    run.capture()
    run.server(PeerLeft(Role.HELPER, 30))
    assert run.controller.video_hold(run.now) is None
    run.capture()
    run.capture()
    run.server(PeerReturned(Role.HELPER))
    run.effects.clear()
    run.secure()
    assert run.of(fx.WindowOpened)  # the driver wakes its video loop for the keyframe
    assert run.controller.video_hold(run.now) is None


def test_the_connection_dropping_empties_the_window() -> None:
    run = sharing()
    run.capture()
    run.capture()
    run.take(run.controller.closed(1006, ""))
    assert run.controller.video_hold(run.now) is None


def test_the_helper_s_quality_choice_goes_to_capture() -> None:
    run = sharing()
    effects = run.receive(run.seal(FrameKind.CONTROL_E2E, QualityChoice("smooth")))
    assert fx.SetQuality("smooth") in effects
