"""MemoryLiveStore: codes are single use and die at their deadline; states are kept per session."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from quickassist.protocol.roles import HelperCard
from quickassist.protocol.session import SessionPolicy, SessionState
from quickassist.service.live_store import MemoryLiveStore

NOW = 1_000.0


async def test_a_code_is_reserved_once_and_claimed_once() -> None:
    store = MemoryLiveStore()
    assert await store.add_code("ABC234", "s1", NOW + 600)
    assert not await store.add_code("ABC234", "s2", NOW + 600)  # in use: the hub draws again
    assert await store.claim_code("ABC234", NOW) == "s1"
    assert await store.claim_code("ABC234", NOW) is None
    assert await store.add_code("ABC234", "s3", NOW + 600)  # free again once used


async def test_a_code_is_dead_from_its_deadline_on() -> None:
    store = MemoryLiveStore()
    await store.add_code("ABC234", "s1", NOW + 600)
    await store.add_code("XYZ789", "s2", NOW + 600)
    assert await store.claim_code("ABC234", NOW + 599.999) == "s1"
    assert await store.claim_code("XYZ789", NOW + 600) is None
    # A claim of a dead code uses it up: it does not come back to life for a later clock.
    assert await store.claim_code("XYZ789", NOW) is None


async def test_a_forgotten_code_answers_like_one_never_issued() -> None:
    store = MemoryLiveStore()
    await store.add_code("ABC234", "s1", NOW + 600)
    await store.forget_code("ABC234")
    await store.forget_code("NEVER2")  # forgetting an unknown code is harmless
    assert await store.claim_code("ABC234", NOW) is None
    assert await store.claim_code("NEVER2", NOW) is None


async def test_sweep_frees_expired_codes_and_keeps_live_ones() -> None:
    store = MemoryLiveStore()
    await store.add_code("OLD234", "s1", NOW + 10)
    await store.add_code("NEW234", "s2", NOW + 600)
    assert not await store.add_code("OLD234", "s3", NOW + 700)  # expired, but still held
    await store.sweep(NOW + 10)
    assert await store.add_code("OLD234", "s3", NOW + 700)
    assert await store.claim_code("NEW234", NOW + 10) == "s2"


async def test_states_are_kept_replaced_and_dropped_per_session() -> None:
    store = MemoryLiveStore()
    policy = SessionPolicy()
    first = SessionState.new(HelperCard("Ada L.", "Contoso"), NOW, policy)
    later = SessionState.new(HelperCard("Ada L.", "Contoso"), NOW + 1, policy)
    await store.put_state("s1", first)
    await store.put_state("s2", first)
    await store.put_state("s1", later)
    assert await store.get_state("s1") is later
    assert await store.get_state("s2") is first
    await store.drop_state("s1")
    await store.drop_state("s1")  # twice is harmless
    assert await store.get_state("s1") is None
    assert await store.get_state("s2") is first


CODES = st.sampled_from(["AAA222", "BBB333", "CCC444"])


@given(
    st.lists(
        st.tuples(st.sampled_from(["add", "claim", "forget", "sweep"]), CODES, st.floats(0, 50)),
        max_size=40,
    )
)
async def test_no_code_is_ever_claimed_twice_or_after_its_deadline(
    steps: list[tuple[str, str, float]],
) -> None:
    store = MemoryLiveStore()
    reserved: dict[str, tuple[str, float]] = {}  # the one reservation each claim may use
    now = 0.0
    for number, (action, code, dt) in enumerate(steps):
        now += dt
        if action == "add":
            session_id = f"s{number}"
            if await store.add_code(code, session_id, now + 30):
                reserved[code] = (session_id, now + 30)
        elif action == "claim":
            claimed = await store.claim_code(code, now)
            if claimed is not None:
                assert reserved[code][0] == claimed and now < reserved[code][1]
            reserved.pop(code, None)
        elif action == "forget":
            await store.forget_code(code)
            reserved.pop(code, None)
        else:
            await store.sweep(now)
            reserved = {c: r for c, r in reserved.items() if now < r[1]}
