"""The panel's form requests, for the families' handlers: the permission first (403 ``This action is
unauthorized.``), then Laravel's validation rules (422, one envelope item per message, in the rules' order).

Rules emulated: ``required`` (fails on null, ``""`` and an empty array, whatever ``nullable`` says: it is an
implicit rule), ``sometimes``, ``nullable``, ``string``, ``array``, ``numeric`` (PHP's ``is_numeric``),
``in:a,b``, ``boolean`` (true, false, 1, 0, "1", "0"), ``max:N`` (characters of a string, items of an array);
wildcard keys ``files.*`` and ``files.*.name`` expand over an array's items (a nested key of an item that is not
an array counts as missing); an attribute stops at its first failing ``required``.
"""

from __future__ import annotations

import re
from typing import Any

from . import errors as E
from .panel import Ctx, Panel

BOOLEANS = (True, False, 0, 1, "0", "1")  # Laravel's validateBoolean
PHP_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


NOT_FOR_SERVER = "The requested resource was not found for this server."


def creation_throttle(panel: Panel, ctx: Ctx, kind: str, default: dict) -> None:
    """Pelican's per-server ``ResourceLimit::<Kind>Create`` (``panel.<kind>_create_throttle`` when set)."""
    if panel.pelican:
        limit = getattr(panel, f"{kind}_create_throttle", default)
        panel.resource_throttle(ctx, f"{kind}-create:{ctx.server.uuid}", limit["count"], limit["period"])


def row_by_id(rows: list, value: str | None) -> Any:
    """The row whose integer ``id`` the route parameter names (digits only), or None."""
    if not re.fullmatch(r"[+-]?(0|[1-9]\d*)", value or ""):
        return None
    return next((row for row in rows if row.id == int(value)), None)


def found_or_404(model: Any) -> Any:
    """A binder's answer: the model, or the binding's 404."""
    if model is None:
        raise E.not_found(E.NOT_FOUND_UNKNOWN)
    return model


def belonging(ctx: Ctx, param: str, belongs) -> Any:
    """PT ``ResourceBelongsToServer`` for a bound parameter: ``belongs(model)`` or the 404."""
    model = ctx.bound[param]
    if not belongs(model):
        raise E.not_found(NOT_FOR_SERVER)
    return model


def permit(panel: Panel, ctx: Ctx, permission: str) -> None:
    if not panel.fleet.can(ctx.user, ctx.server, permission):
        raise E.forbidden()


def checked_input(panel: Panel, ctx: Ctx, permission: str, rules: list[tuple[str, str]]) -> dict:
    """The form request: 403 without ``permission``, then 422 on ``rules``; -> ``$request->all()``."""
    permit(panel, ctx, permission)
    data = {**ctx.query, **ctx.body}
    validate(data, rules)
    return data


def as_list(value: list | dict) -> list:
    """A PHP array's values (a JSON object with keys is one too)."""
    return list(value.values()) if isinstance(value, dict) else list(value)


def _expand(data: dict, field: str) -> list[tuple[str, bool, Any]]:
    """-> (attribute, present, value) for ``field``, ``files.*`` and ``files.*.name`` style keys."""
    head, wildcard, rest = field.partition(".*")
    if not wildcard:
        return [(field, field in data, data.get(field))]
    container = data.get(head)
    if not isinstance(container, (list, dict)):
        return []
    keys = list(container.keys()) if isinstance(container, dict) else list(range(len(container)))
    out = []
    for key in keys:
        item = container[key]
        if not rest:
            out.append((f"{head}.{key}", True, item))
            continue
        sub = rest.lstrip(".")
        present = isinstance(item, dict) and sub in item
        out.append((f"{head}.{key}.{sub}", present, item.get(sub) if isinstance(item, dict) else None))
    return out


def validate(data: dict, rules: list[tuple[str, str]]) -> None:
    """The rules of the form requests (required, sometimes, nullable, string, array, numeric, in:...)."""
    failures: list[tuple[str, str, dict]] = []
    for field, spec in rules:
        names = spec.split("|")
        for attribute, present, value in _expand(data, field):
            if "sometimes" in names and not present:
                continue
            for rule in names:
                name, _, arg = rule.partition(":")
                if name == "required":
                    if value is None or value == "" or (isinstance(value, (list, dict)) and not value):
                        failures.append((attribute, "required", {}))
                        break
                    continue
                if name in ("sometimes", "nullable") or not present or (value is None and "nullable" in names):
                    continue
                if name == "max":
                    if _size(value) > float(arg):
                        params = {"max": arg}
                        if isinstance(value, (list, dict)):
                            params["message"] = "max.array"
                        failures.append((attribute, "max", params))
                    continue
                if not _passes(name, arg, value):
                    failures.append((attribute, name, {}))
    if failures:
        raise E.validation(failures)


def _passes(rule: str, arg: str, value: Any) -> bool:
    if rule == "string":
        return isinstance(value, str)
    if rule == "array":
        return isinstance(value, (list, dict))
    if rule == "numeric":
        if isinstance(value, str):
            return PHP_NUMERIC.match(value) is not None
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if rule == "boolean":
        return any(value is accepted or (type(value) is type(accepted) and value == accepted) for accepted in BOOLEANS)
    if rule == "in":
        return isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) in arg.split(",")
    raise ValueError(f"rule {rule} is not emulated")


def _size(value: Any) -> float:
    """Laravel's ``getSize`` for an attribute without a numeric rule: items of an array, else characters."""
    if isinstance(value, (list, dict)):
        return len(value)
    if isinstance(value, bool):
        return 1 if value else 0
    return len(str(value))
