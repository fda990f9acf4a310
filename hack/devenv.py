"""The development environment of this checkout: the collection link and the environment for Ansible.

The one place that knows

* where Ansible finds this checkout as ``gameops.pterodactyl``: the link
  ``.build/collections/ansible_collections/gameops/pterodactyl`` -> the repository (what
  ``make collection`` makes), :func:`ensure_collection_link`;
* how to run ``ansible-playbook``/``ansible-inventory`` on it: :func:`ansible_env` (the collection
  found through ANSIBLE_COLLECTIONS_PATH, modules run by the interpreter of :data:`PYTHON`, the
  Ansible tools of its bin folder first on PATH, no colours, no retry files, no user settings).

Used by the tests (tests/conftest.py and the helpers of tests/integration and tests/integration_py),
the benchmarks (bench/common.py, bench/inventory.py) and the demo (hack/demo.py).

Why here: hack/ is the developer tooling, which tests, bench/ and the demo all are clients of; it is
excluded from the built collection (galaxy.yml's build_ignore) like the other two, and with
``hack/__init__.py`` it is a plain package importable as ``hack.devenv`` from the repository root:
pytest puts the root on sys.path (pytest.ini ``pythonpath = .``), and the scripts run as modules from
there (``python -m hack.demo``, ``python -m bench.run``, as the Makefile does). The sandbox launcher,
which is the sandbox's own interface, lives beside it in sandbox/launcher.py instead.

Standard library only. ``python -m hack.devenv`` makes the link and prints ANSIBLE_COLLECTIONS_PATH.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / ".build" / "collections"
NAMESPACE, NAME = "gameops", "pterodactyl"
COLLECTION_LINK = COLLECTIONS / "ansible_collections" / NAMESPACE / NAME
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
# The interpreter Ansible runs modules with: the running one when it is a virtual environment's (the main
# .venv, or one of hack/matrix.sh's .venv-<version>), else the main .venv's when there is one.
if sys.prefix != sys.base_prefix or not VENV_PYTHON.exists():
    PYTHON = sys.executable
else:
    PYTHON = str(VENV_PYTHON)
# ansible-playbook, ansible-inventory, ansible-galaxy... of that interpreter (not resolved: a venv's bin).
BIN = pathlib.Path(PYTHON).parent

# Settings of the user's that would change what a run does or where it finds things.
USER_PREFIXES = ("ANSIBLE_", "PTERODACTYL_")


def ensure_collection_link() -> pathlib.Path:
    """Make ``ansible_collections/gameops/pterodactyl`` under :data:`COLLECTIONS` point at this checkout.

    A link pointing elsewhere (another checkout) is replaced; a real directory someone put there is left
    alone. Safe when several processes do it at once. Returns :data:`COLLECTIONS`.
    """
    COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
    if COLLECTION_LINK.is_symlink():
        if COLLECTION_LINK.resolve() == ROOT:
            return COLLECTIONS
        COLLECTION_LINK.unlink()
    elif COLLECTION_LINK.exists():
        return COLLECTIONS
    try:
        COLLECTION_LINK.symlink_to(ROOT)
    except FileExistsError:
        pass  # made meanwhile by another process
    # An import that looked for .build/collections before it existed left a negative cache entry.
    importlib.invalidate_caches()
    return COLLECTIONS


def ansible_env(
    workdir: pathlib.Path | str | None = None,
    *,
    python: str | None = None,
    keep: tuple[str, ...] = (),
    strict_inventory: bool = False,
    color: bool = False,
    **extra: str,
) -> dict:
    """The environment for an Ansible command on this checkout's collection.

    * the process environment without ANSIBLE_* and PTERODACTYL_* variables (those in ``keep``, a tuple of
      prefixes such as ``("ANSIBLE_",)``, stay);
    * ANSIBLE_COLLECTIONS_PATH = :data:`COLLECTIONS` (the link is made), ANSIBLE_PYTHON_INTERPRETER =
      ``python`` (default :data:`PYTHON`), its bin folder first on PATH;
    * no colour (unless ``color``: then Ansible's own choice), no retry files, no localhost /
      unparsed-inventory warnings;
    * ``workdir``: ANSIBLE_HOME, ANSIBLE_LOCAL_TEMP and ANSIBLE_REMOTE_TMP under it (else Ansible's own);
    * ``strict_inventory``: ANSIBLE_INVENTORY_UNPARSED_FAILED, an inventory source that does not parse fails;
    * ``extra``: set last, e.g. ``PTERODACTYL_URL=...`` or ``ANSIBLE_ROLES_PATH=...``.
    """
    ensure_collection_link()
    python = str(python or PYTHON)
    drop = tuple(prefix for prefix in USER_PREFIXES if prefix not in keep)
    env = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    env.update(
        PATH=f"{pathlib.Path(python).parent}{os.pathsep}{env.get('PATH', '')}",
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_PYTHON_INTERPRETER=python,
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
    )
    if not color:
        env.update(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    if workdir is not None:
        workdir = pathlib.Path(workdir)
        env.update(
            ANSIBLE_HOME=str(workdir / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"),
            ANSIBLE_REMOTE_TMP=str(workdir / "ansible-remote-tmp"),
        )
    if strict_inventory:
        env["ANSIBLE_INVENTORY_UNPARSED_FAILED"] = "1"
    env.update(extra)
    return env


def tool(name: str, python: str | None = None) -> str:
    """The path of an Ansible command (``ansible-playbook``...) beside ``python`` (default :data:`PYTHON`)."""
    return str(pathlib.Path(python or PYTHON).parent / name)


def main() -> int:
    print(ensure_collection_link())
    return 0


if __name__ == "__main__":
    sys.exit(main())
