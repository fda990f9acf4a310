# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.gameops.pterodactyl`` importable for pytest.

The collection's code imports itself by its full collection path. When pytest
runs from a plain checkout, that path does not exist, so we build a tiny
symlink tree under ``.build/collections`` (git-ignored) that points back at
the repository root and put it first on ``sys.path``.
"""

from __future__ import annotations

import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_ROOT = os.path.join(REPO_ROOT, ".build", "collections")
NAMESPACE_DIR = os.path.join(COLLECTIONS_ROOT, "ansible_collections", "gameops")
COLLECTION_LINK = os.path.join(NAMESPACE_DIR, "pterodactyl")


def _ensure_collection_link() -> None:
    os.makedirs(NAMESPACE_DIR, exist_ok=True)
    if os.path.islink(COLLECTION_LINK):
        if os.path.realpath(COLLECTION_LINK) == os.path.realpath(REPO_ROOT):
            return
        os.unlink(COLLECTION_LINK)
    elif os.path.exists(COLLECTION_LINK):
        return  # a real directory someone put there on purpose: leave it
    try:
        os.symlink(REPO_ROOT, COLLECTION_LINK)
    except FileExistsError:
        pass  # created concurrently by another pytest process


def _ensure_on_sys_path() -> None:
    if COLLECTIONS_ROOT in sys.path:
        sys.path.remove(COLLECTIONS_ROOT)
    sys.path.insert(0, COLLECTIONS_ROOT)


_ensure_collection_link()
_ensure_on_sys_path()
