# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one error type and the table of the codes it raises itself.

Private to the collection: nothing outside ``gameops.pterodactyl`` may import it.

Every failure (HTTP, network, websocket, bad input, a refusal made before anything was sent)
is a :class:`PterodactylError`. ``code`` is either the panel's own (the first ``errors[].code``
of its answer, e.g. ``NotFoundHttpException``) or one of :data:`CLIENT_CODES`, which the
collection uses for everything the panel did not say itself. A refusal the panel never made
never carries one of the panel's exception names.

``result`` is a declared field: the part of a task's result that is true at the time of the
failure (what was sent, the states seen), which the module base returns with the failure.
``uncertain`` says that a request that changes something may have been acted on although it
failed (a timeout or a dropped connection after it was sent, a 5xx): the caller must find out
what happened before it sends the request again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "<redacted>"
EXCERPT_CHARS = 200

# Codes the collection sets itself, with what they mean. One style: PascalCase, and never the
# name of one of the panel's exceptions. docs/troubleshooting.md lists the same table.
CLIENT_CODES = {
    # bad input, found before anything is sent
    "InvalidOption": "an option's value cannot be used (empty, wrong type, out of range)",
    "InvalidRegex": "a regular expression option does not compile",
    "MissingLibrary": "a Python library the task needs is not installed on the controller",
    # server references
    "ServerNotFound": "no server with that exact name is visible to the API key",
    "ServerNameAmbiguous": "several servers visible to the API key have that name",
    "ScheduleNameAmbiguous": "several schedules of the server have that name",
    # refusals made by the collection before sending (the panel would refuse the same)
    "ServerStateBlocked": "the server is suspended, installing, restoring, transferring or on a node in maintenance",
    "PermissionMissing": "the key's user lacks the subuser permission the action needs",
    # outcomes the collection observed
    "ServerCrashed": "the server went offline while it was starting",
    "BackupFailed": "the node reported a backup unsuccessful",
    "RestoreFailed": "the panel logged a restore as failed (the node reports it done either way)",
    "InstallFailed": "the egg's install script failed (status install_failed or reinstall_failed)",
    "BackupLimitReached": "the server is at its backup limit and no backup may be deleted to make room",
    "BackupLocked": "the backup is locked (force: true unlocks it before deleting)",
    "FeatureLimitReached": "the server is at its database or allocation limit (feature_limits)",
    "DatabaseRemoteMismatch": "the database exists with another remote, which the panel cannot change",
    "PrimaryAllocation": "Pterodactyl does not release the server's primary allocation",
    "AllocationLimitUnset": "the panel releases allocations only from a server that has an allocation limit",
    "WaitTimeout": "a state, a console line or a completion did not come within the timeout",
    "UnexpectedAnswer": "the panel answered with something that is not the documented shape",
    "UploadIncomplete": "an upload through the node did not arrive whole (the file was left as it was)",
    "LocalFileChanged": "the controller's src file shrank during its upload (the server's file was left as it was)",
    # the Wings websocket
    "WebsocketOriginRejected": "Wings refused the websocket for its Origin header (HTTP 403)",
    "WebsocketServerUnknown": "Wings does not know the server (HTTP 404 on the websocket)",
    "WebsocketHandshakeFailed": "Wings refused the websocket upgrade with another status",
    "WebsocketTLSError": "TLS failed on the Wings websocket",
    "WebsocketConnectionLost": "the websocket could not be opened, or was lost and not regained",
    "WebsocketClosed": "Wings closed the websocket with a code that ends the session",
    "WebsocketCredentialsInvalid": "the panel's websocket credentials lack a token or a socket URL",
    "WebsocketTokenRejected": "Wings rejected the websocket token (jwt error)",
    "PanelWingsVersionSkew": "Wings 1.12.2+ rejected a token without the websocket scope: panel older than 1.12.3",
    "WebsocketThrottled": "Wings throttled the websocket (too many messages)",
    "WingsDaemonError": "Wings reported a daemon error on the websocket",
    "WingsBadStats": "Wings sent stats that are not a JSON object",
    "ServerSuspended": "Wings closed the websocket because the server is suspended (close code 4409)",
    "ServerDeleted": "the server was deleted while the console was open",
    "SessionClosed": "the console session was used after it was closed",
}
# Network failures carry the name of what failed, as the HTTP library names it.
NETWORK_CODES = (
    "ConnectTimeout",
    "ReadTimeout",
    "ConnectionError",
    "SSLError",
    "ProxyError",
    "ChunkedEncodingError",
    "InvalidJSONError",
)

_SCRIPT_RE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)


class PterodactylError(Exception):
    """Every failure of the collection: HTTP, network, websocket, decoding, bad input.

    ``str(exc)`` is the message followed by the hint: one or two sentences a person can act
    on. It never contains the API key nor a websocket token.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
        errors: list[dict] | None = None,
        method: str | None = None,
        path: str | None = None,
        hint: str | None = None,
        result: dict | None = None,
        uncertain: bool = False,
    ) -> None:
        self.message = message
        self.status = status
        self.code = code
        self.detail = detail
        self.errors = list(errors or [])
        self.method = method
        self.path = path
        self.hint = hint
        self.result: dict = dict(result or {})
        self.uncertain = uncertain
        super().__init__(join_sentences(message, hint))

    def retold(
        self,
        message: str | None = None,
        *,
        hint: str | None = None,
        uncertain: bool | None = None,
        result: dict | None = None,
    ) -> PterodactylError:
        """This error told again: another message (what an earlier step already did, say), hint, certainty
        or partial result; the panel's answer (status, code, detail, errors, method, path) kept."""
        return PterodactylError(
            self.message if message is None else message,
            status=self.status,
            code=self.code,
            detail=self.detail,
            errors=self.errors,
            method=self.method,
            path=self.path,
            hint=self.hint if hint is None else hint,
            result=self.result if result is None else result,
            uncertain=self.uncertain if uncertain is None else uncertain,
        )

    def with_result(self, result: dict) -> PterodactylError:
        """Record the task's partial result (a copy) and return the error, for ``raise``."""
        self.result = dict(result)
        return self

    def to_failure(self) -> dict:
        """A plain dict for ``fail_json(failure=...)``."""
        return {
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "method": self.method,
            "path": self.path,
            "errors": [dict(entry) for entry in self.errors],
            "hint": self.hint,
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, method={self.method!r}, "
            f"path={self.path!r}, message={str(self)!r})"
        )


class ConsoleError(PterodactylError):
    """A websocket failure. Same fields, ``method`` is ``WEBSOCKET``; ``status`` may be a websocket close code."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message, method="WEBSOCKET", **fields)


class ConsoleTimeout(ConsoleError):
    """A wait for a power state ran out of time: ``last_state`` and the states ``seen`` meanwhile."""

    def __init__(
        self,
        last_state: str | None,
        seen: list[str],
        *,
        wanted: Iterable[str] = (),
        timeout: float | None = None,
        path: str | None = None,
        option: str | None = None,
    ) -> None:
        self.last_state = last_state
        self.seen = list(seen)
        self.wanted = sorted(wanted)
        waited = "" if timeout is None else f" after {timeout:g}s"
        message = (
            f"the server is still '{last_state}'{waited} waiting for {' or '.join(self.wanted) or 'a state change'}; "
            f"states seen: {', '.join(self.seen) or 'none'}"
        )
        super().__init__(
            message,
            code="WaitTimeout",
            detail=message,
            path=path,
            hint=f"raise {option or 'the timeout'}, or check the server's console for why it hangs",
        )


def invalid_option(message: str, hint: str | None = None) -> PterodactylError:
    """An error for an option value that cannot be used (found before anything is sent)."""
    return PterodactylError(message, code="InvalidOption", hint=hint)


def join_sentences(message: str, hint: str | None) -> str:
    """``message`` and ``hint`` as one text, with a full stop between them when needed."""
    if not hint:
        return message
    if message.endswith((".", "!", "?", ":")):
        return f"{message} {hint}"
    return f"{message}. {hint}"


def redact(value: Any, secret: str | None) -> Any:
    """Replace every occurrence of ``secret`` in strings inside ``value``."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, REDACTED)
    if isinstance(value, dict):
        return {key: redact(item, secret) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item, secret) for item in value]
    return value


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line, tag-free excerpt of a response body."""
    text = _COMMENT_RE.sub(" ", text[:20000])
    text = _SCRIPT_RE.sub(" ", text)
    text = html.unescape(_TAG_RE.sub(" ", text))
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def body_text(body: Any, limit: int = 20000, encoding: str | None = None) -> str | None:
    """The first ``limit`` characters of a body (bytes decoded leniently), None when there is none."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body[:limit]).decode(encoding or "utf-8", errors="replace")
    return body[:limit] if isinstance(body, str) else None
