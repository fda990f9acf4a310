# Copyright: gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attribute fragments: action group membership, check and diff mode support.

A module lists one of ``attributes.info_module``, ``attributes.actions`` and ``attributes.facts``;
each carries the action group too, which ``attributes`` alone documents.
"""

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


# The check and diff mode of a module that only reads, and of one that changes the server.
_READ_ONLY = r"""
  check_mode:
    description: The module only reads; it behaves the same in check mode.
    support: full
  diff_mode:
    description: The module changes nothing, so there is no diff.
    support: N/A
"""

_CHANGES = r"""
  check_mode:
    description: In check mode the module reads the current state, reports whether it would
      change anything, and sends no request that changes the server.
    support: full
  diff_mode:
    description: The module does not return a diff.
    support: none
"""

_FACTS = r"""
  facts:
    description: The module sets facts for the host the task runs for.
    support: full
"""

# Composed here, not written out in the class: every kind carries the same action group entry.
ModuleDocFragment.INFO_MODULE = ModuleDocFragment.DOCUMENTATION + _READ_ONLY
ModuleDocFragment.ACTIONS = ModuleDocFragment.DOCUMENTATION + _CHANGES
ModuleDocFragment.FACTS = ModuleDocFragment.INFO_MODULE + _FACTS
