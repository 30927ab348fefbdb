"""The sharer's session decisions (sharer/controller.py), one behaviour at a time, without a
socket or a display: a real helper-side handshake (tests/fixtures/e2e_peer.py) and the driver's
part played in memory (tests/fixtures/controller_driver.py)."""

from __future__ import annotations

import json

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.frames import (
    HEADER_SIZE,
    FrameFlags,
    FrameHeader,
    FrameKind,
    encode_frame,
)
from quickassist.protocol.messages import (
    Allow,
    Decline,
    End,
    ErrorNotice,
    Pause,
    PeerLeft,
    PeerReturned,
    Resume,
    Resync,
    RevokeControl,
    SecurityFailure,
    SessionEnded,
)
from quickassist.protocol.payloads import (
    ChatMessage,
    KeyEvent,
    Laser,
    MonitorList,
    PointerMove,
    Refresh,
    SelectMonitor,
    parse_chat,
    parse_e2e_control,
)
from quickassist.protocol.roles import EndReason, Mode, Phase, Role
from quickassist.protocol.secure_link import MAX_REJECTIONS
from quickassist.sharer import controller_effects as fx
from quickassist.sharer.controller import (
    CLOSED,
    RECONNECTED,
    RECONNECTING,
    SECURING,
    SECURITY_FAILED,
    YOU_ENDED,
    SharerController,
)
from quickassist.sharer.session_events import (
    AnnotationReceived,
    ChatReceived,
    ConsentRequested,
    MonitorChanged,
    Notice,
    SessionFinished,
    StatusChanged,
)
from tests.fixtures.controller_driver import (
    HELPER,
    PRIMARY,
    SECOND,
    SESSION,
    Captured,
    ControllerDriver,
)

MOVE = PointerMove(10, 20)


def driver(**options: float) -> ControllerDriver:
    run = ControllerDriver(controller=SharerController(SESSION, HELPER, **options))  # type: ignore[arg-type]
    run.start()
    return run


def sharing(mode: Mode = Mode.CONTROL) -> ControllerDriver:
    """Secured, asked, allowed, active in `mode`: video (and in control, input) flows."""
    run = driver()
    run.state(Phase.JOINED)
    run.secure()
    run.consent_request(mode)
    run.controller.answer_consent(mode, True)
    run.state(Phase.ACTIVE, mode)
    run.flush()
    assert run.controller.guard.video_allowed
    return run


def sent_input(run: ControllerDriver, event: object = MOVE) -> list[fx.Effect]:
    return run.receive(run.seal(FrameKind.INPUT, event))


def finished(run: ControllerDriver) -> fx.Finish:
    [finish] = run.of(fx.Finish)
    return finish


# Consent ----------------------------------------------------------------------------------


def test_the_question_waits_for_the_check_digits() -> None:
    run = driver()
    run.state(Phase.JOINED)
    run.consent_request(Mode.VIEW)
    assert run.events(ConsentRequested) == []
    assert Notice(SECURING) in run.events()
    check = run.secure()
    assert run.events(ConsentRequested) == [ConsentRequested(Mode.VIEW, HELPER, check)]


def test_an_answer_with_no_question_on_screen_does_nothing() -> None:
    run = driver()
    run.consent_request(Mode.CONTROL)  # not shown yet: still securing
    assert run.take(run.controller.answer_consent(Mode.CONTROL, True)) == []
    assert run.controller.guard.granted_mode is None


def test_allow_tells_the_service_the_mode_the_person_saw() -> None:
    run = driver()
    run.secure()
    run.consent_request(Mode.CONTROL)
    run.take(run.controller.answer_consent(Mode.CONTROL, True))
    run.flush()
    assert run.controls() == [Allow(Mode.CONTROL)]
    assert run.controller.guard.granted_mode is Mode.CONTROL
    assert run.take(run.controller.answer_consent(Mode.CONTROL, True)) == []  # answered once


def test_decline_releases_input_and_tells_the_service() -> None:
    run = sharing(Mode.VIEW)
    run.consent_request(Mode.CONTROL)
    effects = run.take(run.controller.answer_consent(Mode.CONTROL, False))
    assert fx.ReleaseInput() in effects
    run.flush()
    assert run.controls()[-1] == Decline()
    assert run.controller.guard.granted_mode is Mode.VIEW  # declining control keeps view


def test_an_answer_to_a_question_since_replaced_is_refused() -> None:
    # The view dialog is open; the helper asks for control before the person clicks: Allow on
    # the old dialog must not grant control, and the new question still waits for its answer.
    run = driver()
    run.state(Phase.JOINED)
    run.secure()
    run.consent_request(Mode.VIEW)
    run.consent_request(Mode.CONTROL)
    assert run.events(ConsentRequested)[-1].mode is Mode.CONTROL
    assert run.take(run.controller.answer_consent(Mode.VIEW, True)) == []
    assert run.controller.guard.granted_mode is None
    run.flush()
    assert run.controls() == []
    run.take(run.controller.answer_consent(Mode.CONTROL, False))
    run.flush()
    assert run.controls() == [Decline()]
    assert run.controller.guard.granted_mode is None


def test_a_withdrawn_request_cannot_be_answered() -> None:
    run = driver()
    run.secure()
    run.consent_request(Mode.CONTROL)
    run.state(Phase.ACTIVE, Mode.VIEW, requested=None)
    assert run.controller.answer_consent(Mode.CONTROL, True) == []


# Pixels -----------------------------------------------------------------------------------


def test_nothing_is_captured_or_sent_before_allow() -> None:
    run = driver()
    run.secure()
    run.state(Phase.ACTIVE, Mode.CONTROL)  # a service that claims more than was allowed
    assert fx.SetCapture(True) not in run.effects
    assert run.capture() == []
    assert run.controller.guard.counters.video_withheld == 1


def test_allowed_video_starts_capture_and_sends_the_monitors_sealed() -> None:
    run = sharing(Mode.VIEW)
    assert fx.SetCapture(True) in run.effects
    [listing] = [f for f in run.opened() if f.kind is FrameKind.CONTROL_E2E]
    assert parse_e2e_control(listing.payload) == MonitorList((PRIMARY, SECOND), PRIMARY.id)
    # Captured at 1_764_133_200_123.456 ms: the header carries whole ms, mod 2**32.
    [sent] = run.capture(Captured(flags=FrameFlags.KEYFRAME, timestamp_us=1_764_133_200_123_456))
    frame = run.opened()[-1]
    assert frame.kind is FrameKind.VIDEO and frame.payload == b"pixels"
    assert frame.header.flags & FrameFlags.KEYFRAME
    assert frame.header.timestamp_ms == 1_764_133_200_123 % 2**32
    assert sent in run.wire


def test_sequence_numbers_grow_across_queued_and_captured_frames() -> None:
    run = sharing()
    run.capture()
    run.take(run.controller.send_chat("hi", message_id="1", sent_at_ms=5))
    run.flush()
    run.capture()
    sequences = [f.header.sequence for f in run.opened()]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)


def test_pause_stops_capture_and_input_at_once_and_resume_waits_for_the_service() -> None:
    run = sharing()
    effects = run.take(run.controller.pause())
    assert effects[:2] == [fx.SetCapture(False), fx.ReleaseInput()]
    assert effects[-1] == fx.SendControl(Pause())
    assert run.capture() == []
    run.state(Phase.ACTIVE, Mode.CONTROL, paused=True)
    effects = run.take(run.controller.resume())
    assert effects == [fx.SendControl(Resume())]  # the service still says paused
    effects = run.state(Phase.ACTIVE, Mode.CONTROL)
    assert fx.SetCapture(True) in effects
    assert run.capture() != []


def test_a_local_pause_the_service_has_not_seen_is_said_again() -> None:
    run = sharing()
    run.take(run.controller.closed(1006, ""))
    run.take(run.controller.pause())  # while disconnected: dropped on the way out
    run.flush()
    assert Pause() not in run.controls()
    run.take(run.controller.connected())
    run.state(Phase.ACTIVE, Mode.CONTROL)
    run.flush()
    assert run.controls()[-1] == Pause()
    assert not run.controller.guard.video_allowed


def test_taking_back_control_is_said_again_to_a_service_that_still_says_control() -> None:
    run = sharing()
    run.take(run.controller.revoke_control())
    run.flush()
    assert run.controls()[-1] == RevokeControl()
    run.state(Phase.ACTIVE, Mode.CONTROL)
    run.flush()
    assert run.controls()[-1] == RevokeControl()
    assert not run.controller.guard.input_allowed and run.controller.guard.video_allowed


def test_video_without_a_key_is_dropped_and_a_keyframe_follows_the_key() -> None:
    run = sharing()
    run.server(PeerReturned(Role.HELPER))  # the helper came back without keys
    assert run.capture() == []
    assert run.controller.guard.counters.video_withheld == 0  # allowed, just no key
    run.commit()
    run.flush()
    effects = run.reveal()
    assert fx.RequestKeyframe() in effects
    assert any(isinstance(e, fx.SendEncrypted) for e in effects)  # the monitors again
    assert run.capture() != []


def test_a_returning_helper_gets_a_keyframe() -> None:
    run = sharing()
    run.state(Phase.ACTIVE, Mode.CONTROL, helper_connected=False)
    assert fx.RequestKeyframe() in run.state(Phase.ACTIVE, Mode.CONTROL, helper_connected=True)


def test_resync_and_refresh_ask_for_a_keyframe_only_while_video_is_allowed() -> None:
    run = sharing()
    assert run.server(Resync()) == [fx.RequestKeyframe()]
    assert run.receive(run.seal(FrameKind.CONTROL_E2E, Refresh())) == [fx.RequestKeyframe(())]
    # The console's refresh says what it decodes; the pipeline hears it with the request.
    with_h264 = run.seal(FrameKind.CONTROL_E2E, Refresh(("h264",)))
    assert run.receive(with_h264) == [fx.RequestKeyframe(("h264",))]
    run.take(run.controller.pause())
    assert run.server(Resync()) == []


# Frames held for a key --------------------------------------------------------------------


def test_chat_before_the_key_is_held_then_sent_sealed() -> None:
    run = driver()
    run.state(Phase.JOINED)
    run.take(run.controller.send_chat("  hello  ", message_id="m1", sent_at_ms=42))
    assert run.flush() == []  # no key: held
    run.secure()
    run.flush()
    [chat] = [f for f in run.opened() if f.kind is FrameKind.CHAT]
    assert parse_chat(chat.payload) == ChatMessage("m1", "hello", 42)
    assert run.take(run.controller.send_chat("   ", message_id="m2", sent_at_ms=43)) == []


def test_nothing_leaves_in_the_clear_but_the_key_offer() -> None:
    run = sharing()
    run.take(run.controller.send_chat("x", message_id="1", sent_at_ms=1))
    run.flush()
    run.capture()
    clear = [
        json.loads(item.data[HEADER_SIZE:])["t"]
        for item in run.wire
        if isinstance(item, fx.SendFrame)
        and not FrameHeader.parse(item.data).flags & FrameFlags.ENCRYPTED
    ]
    assert clear == ["e2e_key"]


# The helper's frames ----------------------------------------------------------------------


def test_input_is_injected_only_in_full_control() -> None:
    run = sharing(Mode.VIEW)
    assert sent_input(run) == []
    assert run.controller.guard.counters.input_dropped == 1
    run.state(Phase.ACTIVE, Mode.CONTROL)  # the service alone cannot give control
    assert sent_input(run) == []
    run.consent_request(Mode.CONTROL)
    run.take(run.controller.answer_consent(Mode.CONTROL, True))
    run.state(Phase.ACTIVE, Mode.CONTROL)
    key = KeyEvent("KeyA", "a", True)
    assert sent_input(run, key) == [fx.Inject(key)]


def test_losing_control_releases_held_input() -> None:
    run = sharing()
    assert fx.ReleaseInput() in run.state(Phase.ACTIVE, Mode.VIEW)


def test_annotations_are_shown_only_while_video_is_allowed() -> None:
    run = sharing()
    laser = Laser(0.5, 0.5)
    assert run.receive(run.seal(FrameKind.ANNOTATION, laser)) == [
        fx.Emit(AnnotationReceived(laser))
    ]
    run.take(run.controller.pause())
    assert run.receive(run.seal(FrameKind.ANNOTATION, laser)) == []


def test_chat_from_the_helper_reaches_the_ui_and_malformed_frames_are_ignored() -> None:
    run = sharing()
    run.receive(run.seal(FrameKind.CHAT, ChatMessage("1", "hi there", 1)))
    assert run.events(ChatReceived) == [ChatReceived("hi there")]
    assert sent_input(run, b'{"t":"nonsense"}') == []
    assert not run.controller.finished


def test_selecting_a_monitor_switches_capture_and_input_and_tells_both_sides() -> None:
    run = sharing()
    effects = run.receive(run.seal(FrameKind.CONTROL_E2E, SelectMonitor(SECOND.id)))
    assert effects[:3] == [
        fx.ReleaseInput(),
        fx.SelectMonitor(SECOND),
        fx.Emit(MonitorChanged(SECOND)),
    ]
    assert effects[-1] == fx.RequestKeyframe()
    run.flush()
    listing = parse_e2e_control(run.opened()[-1].payload)
    assert listing == MonitorList((PRIMARY, SECOND), SECOND.id)
    assert run.receive(run.seal(FrameKind.CONTROL_E2E, SelectMonitor(99))) == []


# Security failures ------------------------------------------------------------------------


def test_three_refused_frames_end_the_session_with_security_failure() -> None:
    run = sharing()
    clear_input = encode_frame(FrameKind.INPUT, b'{"t":"move","x":1,"y":1}')
    for _ in range(MAX_REJECTIONS - 1):
        run.receive(clear_input)
    assert not run.controller.finished
    effects = run.receive(clear_input)
    assert fx.Finish(SECURITY_FAILED, failed=True) in effects
    assert fx.ReleaseInput() in effects and fx.SetCapture(False) in effects
    assert run.controller.shut_down() == SecurityFailure()
    assert run.controller.guard.counters.input_dropped == 0  # refused before the guard


def test_a_key_offer_sent_to_the_sharer_is_a_security_failure() -> None:
    run = driver()
    offer = b'{"t":"e2e_key","v":1,"curve":"X25519","key":"' + b"A" * 43 + b'="}'
    run.receive(encode_frame(FrameKind.CONTROL_E2E, offer))
    assert finished(run) == fx.Finish(SECURITY_FAILED, failed=True)


def test_a_helper_that_never_starts_the_handshake_fails_in_time() -> None:
    run = driver(first_handshake_timeout=20.0)
    run.now = 100.0
    assert fx.ArmTimer(120.0) in run.state(Phase.JOINED)
    assert run.tick(119.999) == [fx.ArmTimer(120.0)]  # woken early: waits on
    run.tick(120.0)
    assert finished(run) == fx.Finish(SECURITY_FAILED, failed=True)


def test_a_handshake_that_stalls_after_the_commit_fails_in_time() -> None:
    run = driver(handshake_timeout=10.0)
    run.now = 5.0
    assert fx.ArmTimer(15.0) in run.commit()
    run.tick(15.0)
    assert run.controller.finished and run.controller.failed


def test_a_completed_handshake_cancels_the_timer() -> None:
    run = driver()
    run.state(Phase.JOINED)
    run.secure()
    assert run.effects[-1] == fx.CancelTimer() or fx.CancelTimer() in run.effects
    assert run.tick(1000.0) == []
    assert not run.controller.finished


def test_a_helper_who_left_is_waited_for_and_one_who_returns_must_handshake_again() -> None:
    run = sharing()
    assert run.server(PeerLeft(Role.HELPER, 30.0)) == []  # the state that follows tells
    assert not run.controller.link.ready
    assert sent_input(run) == []  # sealed with keys from before: dropped, not counted
    assert run.controller.link.rejections == 0
    run.now = 50.0
    assert fx.ArmTimer(70.0) in run.server(PeerReturned(Role.HELPER))


def test_the_digits_compared_stay_after_the_helper_returns_with_new_keys() -> None:
    # docs/security.md: the check digits the two people compared are shown all session; a
    # reconnect's handshake is bound to the first by the resume secret, its digits are not shown.
    run = sharing(Mode.VIEW)
    compared = run.helper.check
    [status] = [e for e in run.events(StatusChanged)][-1:]
    assert isinstance(status, StatusChanged) and status.status.check == compared
    run.server(PeerLeft(Role.HELPER, 30.0))
    run.server(PeerReturned(Role.HELPER))
    run.secure()
    assert run.helper.check != compared  # new keys underneath
    run.consent_request(Mode.CONTROL)
    assert run.events(ConsentRequested)[-1] == ConsentRequested(Mode.CONTROL, HELPER, compared)
    last = run.events(StatusChanged)[-1]
    assert isinstance(last, StatusChanged) and last.status.check == compared


# Connection -------------------------------------------------------------------------------


def test_a_dropped_connection_stops_everything_and_reconnecting_is_announced() -> None:
    run = sharing()
    effects = run.take(run.controller.closed(1011, "gone"))
    assert fx.SetCapture(False) in effects and fx.ReleaseInput() in effects
    [status] = [
        e.event for e in effects if isinstance(e, fx.Emit) and isinstance(e.event, StatusChanged)
    ]
    assert not status.status.connected
    assert effects[-1] == fx.Emit(Notice(RECONNECTING))
    assert run.capture() == [] and not run.controller.link.ready
    assert run.take(run.controller.connected()) == [fx.Emit(Notice(RECONNECTED))]
    assert not run.controller.guard.video_allowed  # until the service speaks
    run.state(Phase.ACTIVE, Mode.CONTROL)
    assert run.controller.guard.input_allowed


def test_a_final_close_ends_the_session_with_its_sentence() -> None:
    run = sharing()
    run.take(run.controller.closed(CloseCode.REPLACED, "This session was opened again."))
    assert finished(run) == fx.Finish(CloseCode.REPLACED.sentence, failed=False)
    assert run.controller.shut_down() is None  # the service knows


def test_close_sentences() -> None:
    for code, reason, sentence in [
        (CloseCode.UNKNOWN_SESSION, "x", CloseCode.UNKNOWN_SESSION.sentence),
        (
            CloseCode.MALFORMED,
            "The sharer could not read a message.",
            "The sharer could not read a message.",
        ),
        (CloseCode.NORMAL, "", CloseCode.NORMAL.sentence),
        (4999, "", CLOSED),  # not final, but the service's state had said ended
    ]:
        run = driver()
        run.state(Phase.ENDED)
        run.take(run.controller.closed(code, reason))
        assert finished(run).sentence == sentence


# The end ----------------------------------------------------------------------------------


def test_the_helper_ending_finishes_with_the_sentence_for_the_sharer() -> None:
    run = sharing()
    effects = run.server(SessionEnded.because(EndReason.HELPER_ENDED))
    sentence = EndReason.HELPER_ENDED.sentence_for(Role.SHARER)
    assert effects[-2:] == [
        fx.Emit(SessionFinished(sentence)),
        fx.Finish(sentence, failed=False),
    ]
    assert run.controller.shut_down() is None


def test_the_person_who_declined_reads_a_sentence_written_for_them() -> None:
    run = driver()
    run.state(Phase.JOINED)
    run.secure()
    run.consent_request(Mode.VIEW)
    run.take(run.controller.answer_consent(Mode.VIEW, False))
    # The service's `ended` message carries the helper's words ("The person sharing ...").
    run.server(SessionEnded.because(EndReason.DECLINED))
    [finish] = run.events(SessionFinished)
    assert finish == SessionFinished("You declined, so nothing was shared.")
    assert "person sharing" not in finished(run).sentence


def test_after_end_nothing_leaves_but_the_goodbye() -> None:
    run = sharing()
    run.take(run.controller.send_chat("queued before the end", message_id="1", sent_at_ms=1))
    effects = run.take(run.controller.end())
    assert fx.ReleaseInput() in effects and fx.SetCapture(False) in effects
    assert finished(run) == fx.Finish(YOU_ENDED, failed=False)
    assert run.flush() == [] and run.capture() == []
    assert sent_input(run) == [] and run.take(run.controller.pause()) == []
    assert run.take(run.controller.end()) == []
    assert run.controller.shut_down() == End()


def test_the_driver_stopping_says_whether_it_failed() -> None:
    run = sharing()
    effects = run.take(run.controller.stop("lost", failed=True))
    assert effects[-1] == fx.Finish("lost", failed=True) and run.controller.failed


def test_an_error_notice_is_shown() -> None:
    run = driver()
    assert run.server(ErrorNotice("x", "Nope.")) == [fx.Emit(Notice("Nope."))]
