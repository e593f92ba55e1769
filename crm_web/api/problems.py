"""RFC 9457 problem details: every API error is `application/problem+json` with a type, title,
status and detail; 422 adds `errors` ({field: [messages]}), 412 adds the record as it is now."""

from __future__ import annotations

import json

from flask import Response

from crm_web.core.errors import CRMError

TYPE_BASE = "https://crm-web.invalid/problems/"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(status: int, code: str, detail: str, headers: dict | None = None, **extra) -> Response:
    body = {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **{k: v for k, v in extra.items() if v is not None},
    }
    response = Response(json.dumps(body), status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_error(exc: CRMError) -> Response:
    """A service's refusal as a problem (DESIGN §5's statuses)."""
    fields = getattr(exc, "fields", None) or None
    return problem(exc.status, exc.code, exc.message, errors=fields)


class ApiProblem(Exception):
    """Raised inside the API to answer with a problem (401, 412, 428, …)."""

    def __init__(self, status: int, code: str, detail: str, headers=None, **extra):
        super().__init__(detail)
        self.response = problem(status, code, detail, headers, **extra)


UNAUTHORIZED_HEADER = 'Bearer realm="crm_web"'


def unauthorized(detail: str, invalid: bool) -> ApiProblem:
    header = UNAUTHORIZED_HEADER + (', error="invalid_token"' if invalid else "")
    return ApiProblem(401, "unauthorized", detail, {"WWW-Authenticate": header})
