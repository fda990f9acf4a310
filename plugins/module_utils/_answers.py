# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the panel's answers mean, for the HTTP transport: a JSON body, or the error an answer stands for.

:class:`Answers` is mixed into ``_http.HttpTransport``: it needs the transport's ``_error`` (an
error with the API key scrubbed), ``_unexpected_answer``, ``_key_kind``, ``_permission``,
``rate_limit_wait`` and ``base_url``. Private to the collection.
"""

from __future__ import annotations

import json as jsonlib
import time
from typing import Any

from ansible_collections.gameops.pterodactyl.plugins.module_utils._errors import PterodactylError, body_text, excerpt
from ansible_collections.gameops.pterodactyl.plugins.module_utils._hints import (
    WINGS_HINT,
    error_entries,
    http_hint,
    http_message,
    looks_like_wings,
    rate_limit_hint,
    redirect_hint,
    throttle_hint,
)
from ansible_collections.gameops.pterodactyl.plugins.module_utils._retry import retry_after_seconds

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
TRANSIENT_STATUSES = frozenset((502, 503, 504))
NOT_RESENT = "The panel may have received the request; it was not re-sent."
# A 5xx that is a definite refusal, not an uncertain outcome: (status, code) as the panel sends them.
DEFINITE_SERVER_ERRORS = frozenset({(502, "HttpException")})  # "Server must be online in order to send commands."


class Answers:
    """Decoding a success and building the error of a failure (redirect, HTTP status)."""

    def _decode_success(self, response: Any, method: str, path: str) -> dict | None:
        status = response.status_code
        if status == 204 or not response.content.strip():
            return None
        try:
            body = jsonlib.loads(response.content)
        except ValueError:
            raise self._unexpected_answer(
                f"{method} {path} failed: HTTP {status} with a body that is not JSON: {excerpt(_text(response))!r}",
                path,
                method=method,
                status=status,
                hint="Check that url is the panel's root address; another web page answered.",
            ) from None
        if body == []:
            return None  # the panel's empty answers (a reinstall's 202) are an empty JSON array
        if not isinstance(body, dict):
            message = f"{method} {path} failed: HTTP {status} with an unexpected JSON {type(body).__name__}"
            raise self._unexpected_answer(message, path, method=method, status=status)
        return body

    def _redirect_error(self, response: Any, method: str, path: str) -> PterodactylError:
        location = response.headers.get("Location", "")
        shown = excerpt(location.split("?", 1)[0], 120) or "(no Location header)"
        return self._error(
            f"{method} {path} failed: HTTP {response.status_code} redirect to {shown}",
            status=response.status_code,
            method=method,
            path=path,
            hint=redirect_hint(location, self.base_url),
        )

    def _http_error(self, response: Any, method: str, path: str, state: Any) -> PterodactylError:
        """The error of a 4xx/5xx answer; ``state`` is the call's retry bookkeeping (``waited`` for 429s)."""
        status = response.status_code
        decoded = _json_or_none(response.content)
        errors = error_entries(decoded)
        first = errors[0] if errors else {}
        code, detail = first.get("code"), first.get("detail")
        retry = retry_after_seconds(response.headers.get("Retry-After"), time.time()) if status == 429 else None
        if status == 429 and code == "TooManyRequestsHttpException":  # a per-server throttle (backups)
            hint = throttle_hint(detail, retry, state.waited, self.rate_limit_wait)
        elif status == 429 and _restore_throttle(method, path, retry):
            limit = f"Pelican allows {RESTORES_PER_15_MIN} restores of a server per 15 minutes"
            what = f"{detail or 'Too Many Attempts.'} ({limit})"
            hint = throttle_hint(what, retry, state.waited, self.rate_limit_wait)
        elif status == 429:
            hint = rate_limit_hint(state.waited, self.rate_limit_wait)
        elif looks_like_wings(decoded):
            hint = WINGS_HINT
        else:
            hint = http_hint(status, code, detail, errors, self._key_kind, self._permission(method, path))
        if method not in SAFE_METHODS and status in TRANSIENT_STATUSES and not errors:
            # A proxy answered: the panel may or may not have acted on the request.
            hint = f"{hint} {NOT_RESENT}" if hint else NOT_RESENT
        body = _text(response) if response.content.strip() else None
        return self._error(
            http_message(method, path, status, code, detail, body),
            status=status,
            code=code,
            detail=detail,
            errors=errors,
            method=method,
            path=path,
            hint=hint,
            uncertain=method not in SAFE_METHODS and status >= 500 and (status, code) not in DEFINITE_SERVER_ERRORS,
        )


RESTORES_PER_15_MIN = 3  # Pelican's ResourceLimit::BackupRestore


def _restore_throttle(method: str, path: str, retry: float | None) -> bool:
    """A 429 of a backup restore that is Pelican's restore throttle (per server, 15 minutes), not the
    per-minute rate limit: its Retry-After is longer than the rate limit's minute."""
    restore = method == "POST" and "/backups/" in path and path.rstrip("/").endswith("/restore")
    return restore and retry is not None and retry > 60


def _text(response: Any) -> str:
    return body_text(response.content, encoding=response.encoding) or ""


def _json_or_none(content: bytes) -> Any:
    try:
        return jsonlib.loads(content)
    except ValueError:
        return None
