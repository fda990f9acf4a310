# Copyright (c) gameops.pterodactyl contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, used in the API client's User-Agent."""

from __future__ import annotations

COLLECTION_VERSION = "0.1.0"
