"""The panel's error envelope and the catalogue of codes and texts (reference §4).

Every error is ``{"errors":[{"code","status","detail"[,"meta"]}]}``. Symfony HTTP exceptions
are pretty-printed (4 spaces, unescaped slashes); 401, 422 and DisplayExceptions are compact
JSON with PHP's default escaping (``\\/``).
"""

from __future__ import annotations

import json
import time

from aiohttp import web

# --- texts (reference §3, §4.5)
UNAUTHENTICATED = "Unauthenticated."
UNAUTHORIZED = "This action is unauthorized."
APPLICATION_KEY = "You are attempting to use an application API key on an endpoint that requires a client API key."
NOT_FOUND_UNKNOWN = "The requested resource could not be found on the server."
NOT_FOUND_HIDDEN = "The requested resource does not exist on this server."
WEBSOCKET_FORBIDDEN = "You do not have permission to connect to this server's websocket."
TRANSFER_LOGS_FORBIDDEN = "You do not have permission to view server transfer logs."
TOO_MANY = "Too Many Attempts."
COMMAND_OFFLINE = "Server must be online in order to send commands."
MALFORMED_JSON = "The JSON data passed in the request appears to be malformed: "
DAEMON_UNREACHABLE = "Could not establish a connection to the machine running this server. Please try again."
TWO_FACTOR_REQUIRED = "Two-factor authentication is required on this account in order to access this endpoint."
IP_DENIED = "This IP address ({ip}) does not have permission to access the API using these credentials."
UNEXPECTED = "An unexpected error was encountered while processing this request, please try again."

CONFLICT_SUSPENDED = "This server is currently suspended and the functionality requested is unavailable."
CONFLICT_MAINTENANCE = (
    "The node of this server is currently under maintenance and the functionality requested is unavailable."
)
CONFLICT_NOT_INSTALLED = "This server has not yet completed its installation process, please try again later."
CONFLICT_RESTORING = "This server is currently restoring from a backup, please try again later."
CONFLICT_TRANSFER = "This server is currently being transferred to a new machine, please try again later."
CONFLICT_OTHER = "This server is currently in an unsupported state, please try again later."

VALIDATION_MESSAGES = {
    "required": "The {attr} field is required.",
    "in": "The selected {attr} is invalid.",
    "string": "The {attr} must be a string.",
    "min": "The {attr} must be at least {min} characters.",
    "array": "The {attr} must be an array.",
    "numeric": "The {attr} must be a number.",
    "boolean": "The {attr} field must be true or false.",
    "max": "The {attr} may not be greater than {max} characters.",
    "max.array": "The {attr} may not have more than {max} items.",
}


def php_compact(data) -> str:
    """PHP json_encode with default flags: compact, ASCII-escaped, slashes escaped."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/")


def php_pretty(data) -> str:
    """JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES."""
    return json.dumps(data, indent=4, ensure_ascii=True)


class ApiError(Exception):
    """An error the panel renders as the standard envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        meta: dict | None = None,
        headers: dict | None = None,
        pretty: bool = True,
        errors: list | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.meta = meta
        self.headers = dict(headers or {})
        self.pretty = pretty
        self._errors = errors

    def body(self) -> dict:
        if self._errors is not None:
            return {"errors": self._errors}
        item = {"code": self.code, "status": str(self.status), "detail": self.detail}
        if self.meta is not None:
            item["meta"] = self.meta
        return {"errors": [item]}

    def response(self) -> web.Response:
        text = php_pretty(self.body()) if self.pretty else php_compact(self.body())
        return web.Response(status=self.status, text=text, content_type="application/json", headers=self.headers)


def unauthenticated() -> ApiError:
    return ApiError(401, "AuthenticationException", UNAUTHENTICATED, pretty=False)


def forbidden(detail: str = UNAUTHORIZED) -> ApiError:
    return ApiError(403, "AccessDeniedHttpException", detail)


def http_forbidden(detail: str = WEBSOCKET_FORBIDDEN) -> ApiError:
    return ApiError(403, "HttpForbiddenException", detail)


def not_found(detail: str = NOT_FOUND_UNKNOWN) -> ApiError:
    return ApiError(404, "NotFoundHttpException", detail)


def route_not_found(path: str) -> ApiError:
    return ApiError(404, "NotFoundHttpException", f"The route {path.lstrip('/')} could not be found.")


def method_not_allowed(method: str, path: str, allowed: list[str]) -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowedHttpException",
        f"The {method} method is not supported for route {path.lstrip('/')}. Supported methods: {', '.join(allowed)}.",
        headers={"Allow": ", ".join(allowed)},
    )


def conflict(detail: str) -> ApiError:
    return ApiError(409, "ServerStateConflictException", detail)


def malformed_json(reason: str = "Syntax error") -> ApiError:
    return ApiError(400, "BadRequestHttpException", MALFORMED_JSON + reason)


def invalid_filter(unknown: list[str], allowed: list[str]) -> ApiError:
    return ApiError(
        400,
        "InvalidFilterQuery",
        f"Requested filter(s) `{', '.join(unknown)}` are not allowed. Allowed filter(s) are `{', '.join(allowed)}`.",
    )


def invalid_sort(unknown: list[str], allowed: list[str]) -> ApiError:
    return ApiError(
        400,
        "InvalidSortQuery",
        f"Requested sort(s) `{', '.join(unknown)}` is not allowed. Allowed sort(s) are `{', '.join(allowed)}`.",
    )


def throttled(limit: int, window_end: float) -> ApiError:
    """Laravel's ThrottleRequests answer: the limit, nothing left, and when the window ends (``window_end``:
    epoch seconds) as Retry-After and X-RateLimit-Reset."""
    retry = max(0, int(window_end - time.time() + 0.999))
    headers = {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "Retry-After": str(retry),
        "X-RateLimit-Reset": str(int(time.time()) + retry),
    }
    return ApiError(429, "ThrottleRequestsException", TOO_MANY, headers=headers)


def command_offline() -> ApiError:
    return ApiError(502, "HttpException", COMMAND_OFFLINE)


def daemon_unreachable() -> ApiError:
    return ApiError(504, "DaemonConnectionException", DAEMON_UNREACHABLE, pretty=False)


def unexpected(code: str = "Exception") -> ApiError:
    return ApiError(500, code, UNEXPECTED, pretty=False)


def validation(failures: list[tuple[str, str, dict]]) -> ApiError:
    """failures: (field, rule, params) -> one envelope item per message (``params["message"]``: another text
    than the rule's own, e.g. ``max.array``)."""
    messages = []
    for field, rule, params in failures:
        attr = field.replace("_", " ")
        messages.append((field, rule, VALIDATION_MESSAGES[params.get("message", rule)].format(attr=attr, **params)))
    return validation_failed(messages)


def validation_failed(messages: list[tuple[str, str, str]]) -> ApiError:
    """(field, rule, message already worded) -> the 422 envelope, one item per message (sandbox/rules.py)."""
    items = [
        {"code": "ValidationException", "status": "422", "detail": text, "meta": {"source_field": field, "rule": rule}}
        for field, rule, text in messages
    ]
    return ApiError(422, "ValidationException", items[0]["detail"], pretty=False, errors=items)
