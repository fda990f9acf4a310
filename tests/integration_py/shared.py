"""Helpers several Python integration tests share (the sandbox launcher is sandbox.launcher, the Ansible
environment hack.devenv, the fixtures tests/conftest.py and tests/integration_py/conftest.py)."""

from __future__ import annotations


def plain(value):
    """JSON from ansible-inventory --list without Ansible's ``{"__ansible_unsafe": ...}`` markers."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value
