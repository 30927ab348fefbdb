"""Errors the service turns into HTTP answers or WebSocket closes.

The tree (AccountError and its kinds live in accounts.py)::

    ServiceError            status, stable code, plain sentence (and Retry-After when limited)
    ├── ConfigError         a setting that cannot be used (flag, environment, file)
    ├── AccountError        a helper account operation that cannot be done
    ├── JoinRefused         a code that is wrong, expired, malformed, or tried too often
    ├── SessionNotFound
    └── NotAllowed          the caller is not a party to the session
"""

from __future__ import annotations


class ServiceError(Exception):
    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.retry_after = retry_after


class JoinRefused(ServiceError):
    pass


class SessionNotFound(ServiceError):
    status = 404
    code = "unknown_session"


class NotAllowed(ServiceError):
    status = 403
    code = "forbidden"


class ConfigError(ServiceError):
    code = "bad_config"
