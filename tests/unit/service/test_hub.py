"""SessionHub on its own: rendezvous, connections, deadlines and shutdown, with time as a value.

The hub runs with its real parts (the memory store, the join guard, metrics); the relay's side
of it is `RecordingPeer`, which keeps what the hub hands a connection, and telemetry's side is
`RecordingLog`. Deadlines pass by moving `clock` and calling `tick()`, never by waiting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pytest

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.errors import IllegalEvent
from quickassist.protocol.frames import FrameKind
from quickassist.protocol.messages import (
    Allow,
    ChooseMode,
    End,
    PeerLeft,
    PeerReturned,
    ServerMessage,
    SessionEnded,
    StateUpdate,
)
from quickassist.protocol.roles import EndReason, HelperCard, Mode, Phase, Role
from quickassist.protocol.session import SessionPolicy, SessionState
from quickassist.service.config import RateLimit
from quickassist.service.errors import JoinRefused, NotAllowed, SessionNotFound
from quickassist.service.hub import ENDED_MEMORY_SECONDS, LiveSession, SessionHub
from quickassist.service.join_guard import JoinGuard
from quickassist.service.live_store import MemoryLiveStore
from quickassist.service.metrics import Metrics

POLICY = SessionPolicy(code_lifetime=600, consent_timeout=300, reconnect_grace=30)
ADA = HelperCard("Ada L.", "Contoso")
ADDRESS = "192.0.2.7"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class RecordingPeer:
    """A connection as the hub sees it, keeping everything it is handed."""

    messages: list[ServerMessage] = field(default_factory=list)
    states: list[SessionState] = field(default_factory=list)
    closed: tuple[int, str] | None = None

    def send_message(self, message: ServerMessage) -> None:
        self.messages.append(message)

    def on_state(self, state: SessionState) -> None:
        self.states.append(state)

    def push_frame(self, kind: FrameKind, data: bytes) -> bool:
        raise AssertionError("the hub never forwards frames itself")

    async def drained(self) -> None:
        return None

    async def close(self, code: int, reason: str) -> None:
        assert self.closed is None, "closed twice"
        self.closed = (code, reason)

    def of_type(self, kind: type[ServerMessage]) -> list[ServerMessage]:
        return [m for m in self.messages if isinstance(m, kind)]


class SessionLogRecorder:
    """`SessionLog` as telemetry implements it, kept in lists."""

    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []
        self.ended_with: dict[str, tuple[EndReason, frozenset[str]]] = {}

    def started(self, session_id: str, helper_id: int, helper_address: str | None) -> None:
        self.events.append(("started", session_id))

    def joined(self, session_id: str, sharer_address: str | None) -> None:
        self.events.append(("joined", session_id))

    def ended(self, session_id: str, reason: EndReason, features: Iterable[str]) -> None:
        self.events.append(("ended", session_id))
        self.ended_with[session_id] = (reason, frozenset(features))

    def usage(self, session_id: str, bytes_relayed: int, errors: int) -> None:
        self.events.append(("usage", session_id, str(bytes_relayed), str(errors)))


@dataclass
class Hub:
    hub: SessionHub
    clock: Clock
    store: MemoryLiveStore
    metrics: Metrics
    log: SessionLogRecorder


@pytest.fixture
def made() -> Hub:
    clock, store, metrics, log = Clock(), MemoryLiveStore(), Metrics(), SessionLogRecorder()
    hub = SessionHub(
        store=store,
        policy=POLICY,
        join_guard=JoinGuard(
            per_address=RateLimit(3, 600),
            overall=RateLimit(1000, 60),
            under_attack_per_network=RateLimit(3, 86400),
            under_attack_overall=RateLimit(30, 60),
        ),
        metrics=metrics,
        session_log=log,
        clock=clock,
    )
    return Hub(hub, clock, store, metrics, log)


async def joined_session(made: Hub) -> tuple[LiveSession, str]:
    created = await made.hub.create(helper_id=1, helper=ADA, helper_address=ADDRESS)
    joined = await made.hub.join(str(created.code.value), ADDRESS)
    return made.hub.get(created.session_id), joined.sharer_token


async def connected(made: Hub) -> tuple[LiveSession, RecordingPeer, RecordingPeer]:
    session, _token = await joined_session(made)
    helper, sharer = RecordingPeer(), RecordingPeer()
    await made.hub.attach(session, Role.HELPER, helper)
    await made.hub.attach(session, Role.SHARER, sharer)
    return session, helper, sharer


async def test_a_typed_code_joins_once_and_tells_the_sharer_only_the_card(made: Hub) -> None:
    created = await made.hub.create(helper_id=7, helper=ADA, helper_address=ADDRESS)
    assert created.expires_in == POLICY.code_lifetime
    assert created.expires_at == made.clock.now + POLICY.code_lifetime
    typed = f" {created.code.value[:3].lower()}-{created.code.value[3:]} "
    joined = await made.hub.join(typed, ADDRESS)
    assert joined.session_id == created.session_id and joined.helper == ADA
    session = made.hub.for_sharer(created.session_id, joined.sharer_token)
    assert session.state.phase is Phase.JOINED
    assert made.hub.for_helper(created.session_id, 7) is session
    with pytest.raises(JoinRefused) as again:
        await made.hub.join(created.code.value, ADDRESS)
    assert again.value.status == 404
    assert (made.metrics.codes_issued, made.metrics.joins_succeeded) == (1, 1)
    assert made.metrics.joins_failed == 1
    assert made.log.events == [("started", session.id), ("joined", session.id)]


async def test_another_helper_or_a_wrong_token_learns_nothing(made: Hub) -> None:
    session, token = await joined_session(made)
    with pytest.raises(SessionNotFound) as other_helper:
        made.hub.for_helper(session.id, helper_id=2)
    with pytest.raises(SessionNotFound) as missing:
        made.hub.get("no-such-session")
    assert other_helper.value.message == missing.value.message
    with pytest.raises(NotAllowed) as wrong:
        made.hub.for_sharer(session.id, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert wrong.value.status == 401


async def test_malformed_codes_count_as_failures_until_the_address_is_locked_out(
    made: Hub,
) -> None:
    created = await made.hub.create(helper_id=1, helper=ADA, helper_address=ADDRESS)
    for _ in range(3):  # the guard's per-address budget
        with pytest.raises(JoinRefused) as malformed:
            await made.hub.join("12", ADDRESS)
        assert (malformed.value.status, malformed.value.code) == (400, "invalid_code")
    with pytest.raises(JoinRefused) as locked:
        await made.hub.join(created.code.value, ADDRESS)  # even the right code
    assert locked.value.status == 429 and locked.value.retry_after is not None
    assert made.metrics.joins_failed == 4
    # Another address is not locked out, and the code was never used.
    joined = await made.hub.join(created.code.value, "198.51.100.9")
    assert joined.session_id == created.session_id


async def test_a_code_expires_on_the_tick_after_its_deadline(made: Hub) -> None:
    created = await made.hub.create(helper_id=1, helper=ADA, helper_address=ADDRESS)
    helper = RecordingPeer()
    session = made.hub.get(created.session_id)
    await made.hub.attach(session, Role.HELPER, helper)
    made.clock.now += POLICY.code_lifetime - 0.5
    await made.hub.tick()
    assert not session.state.ended and helper.closed is None
    made.clock.now += 0.5
    await made.hub.tick()
    assert session.state.end_reason is EndReason.CODE_EXPIRED
    [ended] = helper.of_type(SessionEnded)
    assert isinstance(ended, SessionEnded) and ended.reason is EndReason.CODE_EXPIRED
    assert helper.closed == (CloseCode.NORMAL, EndReason.CODE_EXPIRED.sentence_for(Role.HELPER))
    assert made.metrics.sessions_ended == {"code_expired": 1}
    assert made.log.ended_with[session.id][0] is EndReason.CODE_EXPIRED
    with pytest.raises(JoinRefused) as late:
        await made.hub.join(created.code.value, ADDRESS)
    assert late.value.status == 404
    assert made.hub.active_count() == 0 and made.metrics.sessions_active() == 0


async def test_an_ended_session_is_remembered_for_a_while_then_forgotten(made: Hub) -> None:
    session, helper, sharer = await connected(made)
    await made.hub.act(session, Role.HELPER, End())
    assert helper.closed is not None and sharer.closed is not None
    made.clock.now += ENDED_MEMORY_SECONDS - 1
    await made.hub.tick()
    assert made.hub.get(session.id) is session  # a late reconnect still hears why it ended
    assert await made.store.get_state(session.id) is session.state
    made.clock.now += 1
    await made.hub.tick()
    with pytest.raises(SessionNotFound):
        made.hub.get(session.id)
    assert await made.store.get_state(session.id) is None


async def test_each_side_is_closed_with_its_own_sentence(made: Hub) -> None:
    session, helper, sharer = await connected(made)
    await made.hub.act(session, Role.HELPER, ChooseMode(Mode.VIEW))
    await made.hub.act(session, Role.SHARER, Allow(Mode.VIEW))
    await made.hub.act(session, Role.SHARER, End())
    assert helper.closed == (
        CloseCode.NORMAL,
        EndReason.SHARER_ENDED.sentence_for(Role.HELPER),
    )
    assert sharer.closed == (
        CloseCode.NORMAL,
        EndReason.SHARER_ENDED.sentence_for(Role.SHARER),
    )
    assert helper.closed[1] != sharer.closed[1]


async def test_an_illegal_action_is_refused_and_changes_nothing(made: Hub) -> None:
    session, helper, sharer = await connected(made)
    before, messages = session.state, len(helper.messages) + len(sharer.messages)
    with pytest.raises(IllegalEvent):
        await made.hub.act(session, Role.SHARER, ChooseMode(Mode.CONTROL))
    assert session.state is before
    assert len(helper.messages) + len(sharer.messages) == messages


async def test_state_changes_reach_both_sides_and_their_queues(made: Hub) -> None:
    session, helper, sharer = await connected(made)
    await made.hub.act(session, Role.HELPER, ChooseMode(Mode.CONTROL))
    await made.hub.act(session, Role.SHARER, Allow(Mode.CONTROL))
    assert session.state.phase is Phase.ACTIVE
    for peer in (helper, sharer):
        assert peer.states[-1] is session.state  # the relay purges what the state forbids
        last = peer.of_type(StateUpdate)[-1]
        assert isinstance(last, StateUpdate) and last.phase is Phase.ACTIVE


async def test_a_second_connection_replaces_the_first_and_the_other_side_hears_it(
    made: Hub,
) -> None:
    session, helper, sharer = await connected(made)
    replacement = RecordingPeer()
    await made.hub.attach(session, Role.SHARER, replacement)
    assert sharer.closed == (CloseCode.REPLACED, CloseCode.REPLACED.sentence)
    assert session.peers[Role.SHARER] is replacement
    assert [type(m) for m in helper.messages if isinstance(m, PeerLeft | PeerReturned)][-2:] == [
        PeerLeft,
        PeerReturned,
    ]
    # The replaced connection going away later does not count as the side leaving.
    await made.hub.detach(session, Role.SHARER, sharer)
    assert session.peers[Role.SHARER] is replacement
    assert session.state.connected(Role.SHARER)


async def test_a_side_gone_past_its_grace_ends_the_session(made: Hub) -> None:
    session, helper, sharer = await connected(made)
    await made.hub.detach(session, Role.HELPER, helper)
    [left] = sharer.of_type(PeerLeft)
    assert isinstance(left, PeerLeft) and left.grace_seconds == POLICY.reconnect_grace
    made.clock.now += POLICY.reconnect_grace
    await made.hub.tick()
    assert session.state.end_reason is EndReason.HELPER_LEFT
    assert sharer.closed is not None and sharer.closed[0] == CloseCode.NORMAL
    assert helper.closed is None  # it had gone: nothing is sent to a connection no longer here


async def test_shutdown_ends_every_live_session_as_going_away(made: Hub) -> None:
    first, helper, sharer = await connected(made)
    waiting = await made.hub.create(helper_id=1, helper=ADA, helper_address=None)
    await made.hub.shutdown()
    assert first.state.end_reason is EndReason.SERVER_SHUTDOWN
    assert made.hub.get(waiting.session_id).state.end_reason is EndReason.SERVER_SHUTDOWN
    for peer in (helper, sharer):
        assert peer.closed is not None and peer.closed[0] == CloseCode.GOING_AWAY
    assert made.metrics.sessions_ended == {"server_shutdown": 2}


async def test_relayed_bytes_and_features_reach_the_session_record(made: Hub) -> None:
    session, _helper, _sharer = await connected(made)
    made.hub.note_relayed(session, 100, "chat")
    made.hub.note_relayed(session, 50, None)
    made.hub.note_error(session)
    await made.hub.abort(session, EndReason.PROTOCOL_ERROR)
    assert (made.metrics.bytes_relayed, made.metrics.frames_relayed) == (150, 2)
    assert ("usage", session.id, "150", "2") in made.log.events  # the note and the abort
    reason, features = made.log.ended_with[session.id]
    assert reason is EndReason.PROTOCOL_ERROR and "chat" in features


async def test_a_sign_out_ends_that_sign_ins_sessions_with_the_helper_told_why(made: Hub) -> None:
    session, helper, sharer = await connected(made)
    other, other_helper, other_sharer = await connected(made)
    session.helper_sign_in, other.helper_sign_in = "digest-a", "digest-b"
    assert made.hub.helper_sign_ins() == {"digest-a", "digest-b"}
    assert await made.hub.sign_out(sign_in="digest-a") == 1
    # The helper's socket says they were signed out; no `ended` worded for the other side.
    assert helper.closed == (CloseCode.SIGNED_OUT, CloseCode.SIGNED_OUT.sentence)
    assert helper.of_type(SessionEnded) == []
    assert sharer.of_type(SessionEnded) == [SessionEnded.because(EndReason.HELPER_ENDED)]
    assert sharer.closed == (CloseCode.NORMAL, EndReason.HELPER_ENDED.sentence_for(Role.SHARER))
    assert other_helper.closed is None and other_sharer.closed is None
    assert made.hub.helper_sign_ins() == {"digest-b"}
    # Every sign-in of the helper: the rest of their sessions, once.
    assert await made.hub.sign_out(helper_id=1) == 1
    assert await made.hub.sign_out(helper_id=1) == 0
    assert other.state.end_reason is EndReason.HELPER_ENDED


async def test_a_sign_out_ends_the_sessions_that_sign_in_created_before_any_socket(
    made: Hub,
) -> None:
    waiting = await made.hub.create(
        helper_id=1, helper=ADA, helper_address=ADDRESS, helper_sign_in="digest-a"
    )
    joined = await made.hub.create(
        helper_id=1, helper=ADA, helper_address=ADDRESS, helper_sign_in="digest-a"
    )
    kept = await made.hub.create(
        helper_id=1, helper=ADA, helper_address=ADDRESS, helper_sign_in="digest-b"
    )
    await made.hub.join(joined.code.value, ADDRESS)  # the sharer's socket not open yet
    # The periodic re-check sees them, though no helper socket opened.
    assert made.hub.helper_sign_ins() == {"digest-a", "digest-b"}
    assert await made.hub.sign_out(sign_in="digest-a") == 2
    for created in (waiting, joined):
        assert made.hub.get(created.session_id).state.end_reason is EndReason.HELPER_ENDED
    # The code is forgotten by the store, so nobody can claim it, and the sharer hears the
    # same sentence as for any code that does not work.
    assert await made.store.claim_code(waiting.code.value, made.clock.now) is None
    with pytest.raises(JoinRefused) as refused:
        await made.hub.join(waiting.code.value, ADDRESS)
    assert (refused.value.status, refused.value.code) == (404, "unknown_code")
    assert not made.hub.get(kept.session_id).state.ended
    assert made.hub.active_count_of(1) == 1
    assert made.hub.helper_sign_ins() == {"digest-b"}
