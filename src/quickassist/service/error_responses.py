"""One JSON shape for every error the API answers: ``{"error": code, "message": sentence}``.

Covers the service's own errors (`ServiceError`), Starlette's HTTP errors (404, 405, ...) and
request validation errors, so a client never sees FastAPI's default ``{"detail": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


#: What an error answer means, by status, as the OpenAPI document tells it for every operation:
#: any request can be malformed, cross-site, too large, not JSON or rate-limited, whatever it is.
DOCUMENTED_ERRORS: dict[int, str] = {
    400: "The request could not be understood.",
    401: "Not signed in, or a token that does not belong to the session.",
    403: "Refused: a request from another site, or not allowed to this helper.",
    404: "Nothing there (a session that is gone, or not this helper's).",
    409: "Not allowed in the session's current state, or a limit was reached.",
    410: "Gone: it has ended.",
    413: "The request is too large.",
    415: "The request body is not JSON.",
    422: "The request does not match this operation.",
    429: "Too many attempts: the Retry-After header says how many seconds to wait.",
}
_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "A stable code, such as not_signed_in."},
        "message": {"type": "string", "description": "A sentence for the person."},
    },
    "required": ["error", "message"],
}


def document_error_responses(schema: dict[str, Any]) -> None:
    """Put the one error shape in an OpenAPI document, in place of FastAPI's ``{"detail": ...}``
    (which this service never sends), on every operation."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components["Error"] = _ERROR_SCHEMA
    api_error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    # A page of a browser flow (a redirect, or HTML) may answer a refusal with a page of its
    # own; a malformed request still gets the JSON shape from the handlers above.
    page_error = {**api_error, "text/html": {"schema": {"type": "string"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            content = page_error if _is_page(responses) else api_error
            for status, description in DOCUMENTED_ERRORS.items():
                declared = responses.get(str(status))
                # What a route declares stands, except FastAPI's own validation answer.
                if declared is None or "HTTPValidationError" in str(declared):
                    responses[str(status)] = {"description": description, "content": content}


def _is_page(responses: dict[str, Any]) -> bool:
    """Whether an operation's successes are all redirects or HTML (a page for a browser)."""
    successes = {status: r for status, r in responses.items() if status[:1] in ("2", "3")}
    return bool(successes) and all(
        status.startswith("3") or "text/html" in (r.get("content") or {})
        for status, r in successes.items()
    )


def install_error_responses(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_error_responses(build_openapi())  # FastAPI keeps what it built
        return app.openapi_schema or build_openapi()

    app.openapi = openapi  # type: ignore[method-assign]
