"""Activity entries as the panel's transformer shows them (PT ``ActivityLogTransformer::properties``,
PL ``ActivityLog::wrapProperties``)."""

from __future__ import annotations

import re


def activity_properties(properties: dict, pelican: bool, *, hide_ip: bool) -> dict | list:
    """An entry's properties as the transformer shows them (PT ``properties()``, PL ``wrapProperties()``).

    ``directory`` is normalised to ``/dir/``; an array gets a ``<key>_count`` (renamed ``count`` when it is the
    only one); Pelican stringifies values, strips tags and keeps only an array's first element.
    """
    if not properties:
        return [] if pelican else {}
    out: dict = {}
    for key, value in properties.items():
        if key == "ip" and hide_ip and not pelican:
            out[key] = "[hidden]"
        elif not isinstance(value, (list, dict)):
            if key == "directory":
                value = ("/" + _php_strval(value).strip("/") + "/").replace("//", "/")
            out[key] = _strip_tags(_php_strval(value)) if pelican else value
        else:
            items = list(value.values()) if isinstance(value, dict) else list(value)
            first = items[0] if items else None
            if not pelican:
                out[key] = value
            elif not isinstance(first, (list, dict)):
                out[key] = _strip_tags(_php_strval(first))
            out[f"{key}_count"] = len(items)
    counts = [k for k in out if k.endswith("_count")]
    if len(counts) == 1:
        out["count"] = out.pop(counts[0])
    return out


def _php_strval(value) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    return str(value)


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]*>?", "", text)
