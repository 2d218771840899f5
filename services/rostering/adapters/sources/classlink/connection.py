"""How to reach one district's ClassLink roster server: where, which OneRoster version, and with which credentials.

ClassLink issues each application, per district tenant, either an OAuth 1.0a key and secret (requests
signed with HMAC-SHA256, no token) or OAuth 2 client credentials (a bearer token from its token URL).
The secret is kept sealed in the district's settings and opened only to build this (sources/configured.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.rostering.domain.package_files import V1_1, V1_2

OAUTH1 = "oauth1"
OAUTH2 = "oauth2"

# OneRoster REST base paths per version (the 1.2 rostering service has its own path segment).
BASE_PATHS = {V1_1: "/ims/oneroster/v1p1", V1_2: "/ims/oneroster/rostering/v1p2"}


@dataclass(frozen=True)
class ClassLinkConnection:
    tenant_id: str
    application_id: str
    server_url: str  # the tenant's roster server, up to (not including) /ims/...
    client_id: str  # the OAuth 1.0a consumer key, or the OAuth 2 client id
    client_secret: str = field(repr=False)
    version: str = V1_1
    auth: str = OAUTH1
    token_url: str | None = None  # OAuth 2 only

    def __post_init__(self) -> None:
        if self.version not in BASE_PATHS:
            raise ValueError(f"unknown OneRoster version {self.version!r} (expected 1.1 or 1.2)")
        if self.auth not in (OAUTH1, OAUTH2):
            raise ValueError(f"unknown ClassLink authentication {self.auth!r} (expected oauth1 or oauth2)")
        if self.auth == OAUTH2 and not self.token_url:
            raise ValueError("OAuth 2 client credentials need the token URL ClassLink issued")

    def url_of(self, collection: str) -> str:
        return f"{self.server_url.rstrip('/')}{BASE_PATHS[self.version]}/{collection}"
