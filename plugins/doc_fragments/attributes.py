# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute fragments: action group membership, check and diff mode support."""

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the modules of the collection."""

    DOCUMENTATION = r"""
attributes:
  action_group:
    description: Use C(group/gameops.pterodactyl.all) in C(module_defaults) to set the
      connection options (and C(server)) once for every module of this collection.
    support: full
    membership:
      - gameops.pterodactyl.all
"""

    INFO_MODULE = r"""
attributes:
  check_mode:
    description: The module only reads; it behaves the same in check mode.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: N/A
"""

    ACTIONS = r"""
attributes:
  check_mode:
    description: In check mode the module reads the current state, reports whether it would
      change anything, and sends no request that changes the server.
    support: full
  diff_mode:
    description: The module does not return a diff.
    support: none
"""

    FACTS = r"""
attributes:
  check_mode:
    description: The module only reads; it behaves the same in check mode.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: N/A
  facts:
    description: The module sets facts for the host the task runs for.
    support: full
"""
