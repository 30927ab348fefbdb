"""One JSON shape for every error the API answers: ``{"error": code, "message": sentence}``.

Covers the service's own errors (`ServiceError`), Starlette's HTTP errors (404, 405, ...) and
request validation errors, so a client never sees FastAPI's default ``{"detail": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .errors import ServiceError

_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    401: ("not_signed_in", "Sign in first."),
    403: ("forbidden", "You are not allowed to do that."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request is too large."),
    415: ("unsupported_media_type", "Send the request body as JSON."),
    429: ("too_many_attempts", "Too many attempts. Wait a little and try again."),
}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON error answer every part of the API uses."""
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return error_response(exc.status, exc.code, exc.message, headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_ERRORS.get(
        exc.status_code, ("http_error", "The request could not be completed.")
    )
    return error_response(exc.status_code, code, message, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "invalid_request", describe_validation_errors(exc))


def describe_validation_errors(exc: RequestValidationError) -> str:
    """A sentence naming the first thing wrong with a request."""
    errors = exc.errors()
    if not errors:
        return "The request is not valid."
    first = errors[0]
    if first.get("type") == "json_invalid":
        return "The request body is not valid JSON."
    fields = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    problem = str(first.get("msg", "is not valid")).rstrip(".")
    if not fields:
        return f"The request is not valid: {problem.lower()}."
    return f"The request is not valid: {'.'.join(fields)}: {problem.lower()}."


def install_error_responses(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
