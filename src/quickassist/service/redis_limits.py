"""Sign-in limits and per-helper quotas in Redis, shared by every service node.

The rules are the memory ones (`sign_in_guard`, `helper_quota`, `rate_limit`); only where the
counts live differs, so that guesses or code requests spread over the nodes count once. Keys,
under the configured prefix (``qa:`` by default), each with a TTL so nothing outlives its use::

    signin:address:{ADDRESS}        attempts from an address (IPv6: its /64)   sorted set, window
    signin:overall                  failed sign-ins of the whole service         sorted set, window
    signin:account:{DIGEST}         an account's failures in a row: count, last  hash, 24 h
    signin:known:{DIGEST}           when the helper last signed in from a network  retention_days
    signin:known-delay:{DIGEST}     failures from that network: count, last      hash, 24 h
    quota:helper:{ID}:codes         the helper's code requests                   sorted set, window
    quota:helper:{ID}:open          the helper's sessions on any node            sorted set, below

Accounts and networks appear only as keyed digests (HMAC-SHA256 with the service's secret key),
so the keys a Redis dump holds do not say who signed in from where.

Each step is one Lua script (Redis runs it to its end before any other command): the sliding
windows are checked and counted at once, as `SlidingWindowLimiter.hit` is in one process. The
doubling delay's rule stays in Python (`FailureDelay.wait`): the script hands back the count and
the time of the last failure, read in the same step that counted the attempt.

A helper's open sessions are counted on every node: ``open`` holds the ids of the sessions the
helper's requests made (score -inf), each checked against its ``session:{ID}`` hash when counted
(gone, or its state ended: dropped), and a place for each request still being made (score: when
the place lapses), so two requests at once on two nodes cannot both take the last one. The
session's hash names the helper, and the heartbeat of the node holding it renews ``open`` with it
(`nodes`): the index lives as long as a live session in it.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from redis.asyncio import Redis

from .config import RateLimit, ServiceConfig
from .helper_quota import QuotaAdmission, too_many_codes, too_many_open
from .rate_limit import FailureDelay
from .redis_live_store import DEFAULT_PREFIX, SESSION_TTL_SECONDS
from .sign_in_guard import (
    FOR_THIS_ACCOUNT,
    FROM_YOUR_NETWORK,
    SERVICE_REFUSING,
    account_key,
    refuse_sign_in,
)

#: How long a code request holds its place in the open count while its session is being made
#: (a call to another node times out after 5 s: `node_link.CALL_TIMEOUT_SECONDS`).
RESERVATION_SECONDS = 60

# Lua shared by the scripts: sliding windows over sorted sets scored by the app's clock, and
# the choice of the delay that counts an attempt (the known network's, else the account's).
_COMMON = """
local now = tonumber(ARGV[1])
local function full(key, limit, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) < limit then return nil end
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.min(math.max(tonumber(oldest[2]) + window - now, 0.001), window)
end
local function record(key, limit, window, member)
  redis.call('ZADD', key, now, member)
  -- At most `limit` kept, as the memory window's deque(maxlen=limit).
  redis.call('ZREMRANGEBYRANK', key, 0, -(limit + 1))
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
end
local function delay_key(known, account, network, known_for)
  local last = redis.call('GET', known)
  if last and now - tonumber(last) < known_for then return network end
  if last then redis.call('DEL', known) end
  return account
end
"""

# KEYS: address, overall, known, account, known-delay.
# ARGV: now, member, address limit, address window, overall limit, overall window, known for.
# Returns {1, wait} (address), {2, wait} (overall), or {0, failures, last} of the delay.
_SIGN_IN_ADMIT = (
    _COMMON
    + """
local wait = full(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
if wait then return {1, tostring(wait)} end
record(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[2])
wait = full(KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6]))
if wait then return {2, tostring(wait)} end
local key = delay_key(KEYS[3], KEYS[4], KEYS[5], tonumber(ARGV[7]))
local state = redis.call('HMGET', key, 'count', 'last')
return {0, state[1] or '', state[2] or ''}
"""
)

# KEYS: overall, known, account, known-delay.
# ARGV: now, member, overall limit, overall window, known for, forget after.
_SIGN_IN_FAILED = (
    _COMMON
    + """
local forget_after = tonumber(ARGV[6])
local key = delay_key(KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[5]))
local state = redis.call('HMGET', key, 'count', 'last')
local count = tonumber(state[1]) or 0
if state[2] and now - tonumber(state[2]) >= forget_after then count = 0 end
redis.call('HSET', key, 'count', count + 1, 'last', ARGV[1])
redis.call('PEXPIRE', key, math.ceil(forget_after * 1000))
record(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[2])
return 1
"""
)

# KEYS: known, account, known-delay. ARGV: now, known for.
_SIGN_IN_SUCCEEDED = (
    _COMMON
    + """
local known_for = tonumber(ARGV[2])
redis.call('DEL', delay_key(KEYS[1], KEYS[2], KEYS[3], known_for))
redis.call('SET', KEYS[1], ARGV[1], 'PX', math.ceil(known_for * 1000))
return 1
"""
)

# KEYS: open, codes. ARGV: now, reservation, live sessions, code limit, code window,
# session key prefix, reservation seconds, open TTL ms.
# Returns {0} (a place is held), {1, open} (too many open) or {2, wait} (too many codes).
_QUOTA_ADMIT = (
    _COMMON
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '(-inf', now)
local live = tonumber(ARGV[3])
local open = redis.call('ZCOUNT', KEYS[1], '(-inf', '+inf')
-- Counted only up to the bound: a create costs a few lookups however many sessions are open.
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '-inf')) do
  if open >= live then break end
  -- A session is in the index only once its state is stored (settle runs after the create):
  -- no state, the hash is gone. The state is the store's compact JSON (state_to_json).
  local state = redis.call('HGET', ARGV[6] .. sid, 'state')
  if not state or string.find(state, '"phase":"ended"', 1, true) then
    redis.call('ZREM', KEYS[1], sid)
  else
    open = open + 1
  end
end
if open >= live then return {1, open} end
local wait = full(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]))
if wait then return {2, tostring(wait)} end
record(KEYS[2], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[7]), ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[8]) then redis.call('PEXPIRE', KEYS[1], ARGV[8]) end
return {0}
"""
)

# KEYS: open, and the session's hash if one was made. ARGV: reservation, session id, helper,
# open TTL ms. The session is named in its hash (for the heartbeat) only while the hash exists.
_QUOTA_SETTLE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'helper', ARGV[3])
  redis.call('ZADD', KEYS[1], '-inf', ARGV[2])
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
  end
end
return 1
"""


def open_sessions_key(prefix: str, helper: str) -> str:
    """The index of a helper's open sessions (its TTL renewed by `nodes`' heartbeat too)."""
    return f"{prefix}quota:helper:{helper}:open"


class RedisSignInGuard:
    """`sign_in_guard.SignInLimits` in Redis: `SignInGuard`'s rules, counted once for every node.

    ``secret`` keys the digests that stand for accounts and networks in key names.
    """

    def __init__(self, redis: Redis, config: ServiceConfig, *, secret: bytes, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._secret = secret
        self._per_address = config.login_attempts_per_address
        self._overall = config.login_failures_global
        self._known_for = config.retention_days * 86400
        self._delay = FailureDelay(
            free_failures=config.login_failures_before_delay,
            max_delay_seconds=config.login_delay_max_seconds,
        )
        self._admit = redis.register_script(_SIGN_IN_ADMIT)
        self._failed = redis.register_script(_SIGN_IN_FAILED)
        self._succeeded = redis.register_script(_SIGN_IN_SUCCEEDED)

    def _digest(self, *parts: str) -> str:
        message = "\0".join(parts).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def _delay_keys(self, address_key: str, username: str) -> list[str]:
        """known, account, known-delay."""
        account = account_key(username)
        network = self._digest(account, address_key)
        return [
            f"{self._prefix}signin:known:{network}",
            f"{self._prefix}signin:account:{self._digest(account)}",
            f"{self._prefix}signin:known-delay:{network}",
        ]

    async def admit(self, address_key: str, username: str, now: float) -> None:
        keys = [
            f"{self._prefix}signin:address:{address_key}",
            f"{self._prefix}signin:overall",
            *self._delay_keys(address_key, username),
        ]
        args: list[str | float] = [repr(now), uuid.uuid4().hex]
        args += [*_window(self._per_address), *_window(self._overall), self._known_for]
        answer = await self._admit(keys=keys, args=args)
        refused = int(answer[0])
        if refused:
            raise refuse_sign_in(
                FROM_YOUR_NETWORK if refused == 1 else SERVICE_REFUSING, float(answer[1])
            )
        if answer[1] == "":
            return
        wait = self._delay.wait(int(answer[1]), float(answer[2]), now)
        if wait is not None:
            raise refuse_sign_in(FOR_THIS_ACCOUNT, wait)

    async def failed(self, address_key: str, username: str, now: float) -> None:
        keys = [f"{self._prefix}signin:overall", *self._delay_keys(address_key, username)]
        args: list[str | float] = [repr(now), uuid.uuid4().hex, *_window(self._overall)]
        args += [self._known_for, self._delay.forget_after_seconds]
        await self._failed(keys=keys, args=args)

    async def succeeded(self, address_key: str, username: str, now: float) -> None:
        keys = self._delay_keys(address_key, username)
        await self._succeeded(keys=keys, args=[repr(now), self._known_for])


class RedisHelperQuota:
    """`helper_quota.HelperLimits` in Redis: the helper's sessions on every node, and one code
    window for all of them."""

    def __init__(
        self,
        redis: Redis,
        *,
        live_sessions: int,
        code_requests: RateLimit,
        prefix: str = DEFAULT_PREFIX,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._live_sessions = live_sessions
        self._code_requests = code_requests
        self._admit = redis.register_script(_QUOTA_ADMIT)
        self._settle = redis.register_script(_QUOTA_SETTLE)

    async def admit(self, helper_id: int, now: float) -> QuotaAdmission:
        reservation = f"request:{uuid.uuid4().hex}"
        keys = [
            open_sessions_key(self._prefix, str(helper_id)),
            f"{self._prefix}quota:helper:{helper_id}:codes",
        ]
        args: list[str | float] = [repr(now), reservation, self._live_sessions]
        args += [*_window(self._code_requests), f"{self._prefix}session:"]
        args += [RESERVATION_SECONDS, _OPEN_TTL_MS]
        answer = await self._admit(keys=keys, args=args)
        if int(answer[0]) == 1:
            raise too_many_open(int(answer[1]))
        if int(answer[0]) == 2:
            raise too_many_codes(float(answer[1]))
        return QuotaAdmission(helper_id, reservation)

    async def settle(self, admission: QuotaAdmission, session_id: str | None) -> None:
        keys = [open_sessions_key(self._prefix, str(admission.helper_id))]
        if session_id is not None:
            keys.append(f"{self._prefix}session:{session_id}")
        args: list[str | int] = [
            *(admission.reservation, session_id or "", admission.helper_id, _OPEN_TTL_MS)
        ]
        await self._settle(keys=keys, args=args)


#: The open index's TTL when a request sets it: as long as a new session's hash lives.
_OPEN_TTL_MS = SESSION_TTL_SECONDS * 1000


def _window(limit: RateLimit) -> tuple[int, float]:
    return limit.count, limit.per_seconds
