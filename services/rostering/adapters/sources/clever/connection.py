"""How to reach one district's data in Clever: the district-app token Clever issues when a district shares
its data with the application (a Bearer token, no OAuth dance), and the district's Clever id.

The token is kept sealed in the district's settings and opened only to build this (configured.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

API_URL = "https://api.clever.com"
API_PATH = "/v3.0"


@dataclass(frozen=True)
class CleverConnection:
    district_id: str  # Clever's id of the district, what a refusal names
    token: str = field(repr=False)
    api_url: str = API_URL  # up to (not including) /v3.0

    def __post_init__(self) -> None:
        if not self.district_id:
            raise ValueError("the Clever district id is required")
        if not self.token:
            raise ValueError("the Clever district token is required")

    def url_of(self, path: str) -> str:
        """A collection (`users`) or a link Clever answered (`/v3.0/users?starting_after=...`) as a full URL."""
        relative = path if path.startswith("/") else f"{API_PATH}/{path}"
        return f"{self.api_url.rstrip('/')}{relative}"
