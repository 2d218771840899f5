"""Which browser origins may call the API (config GATEWAY_CORS_ORIGINS), and the headers that say so.

Origins are listed exactly (`https://app.example.org,http://localhost:3000`). `*` lets any origin read
answers but never with credentials: a wildcard and `Access-Control-Allow-Credentials` together are what
browsers refuse and what would hand any site a signed-in user's data.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ANY_ORIGIN = "*"
# What a frontend sends besides the simple headers, and what it may read besides the simple ones.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-Id")
EXPOSED_HEADERS = ("Location", "Retry-After", "X-Request-Id")
PREFLIGHT_MAX_AGE_SECONDS = 600


@dataclass(frozen=True)
class CorsPolicy:
    origins: frozenset[str] = frozenset()

    @classmethod
    def from_setting(cls, setting: str | None) -> "CorsPolicy":
        """`GATEWAY_CORS_ORIGINS`: comma-separated origins; unset or empty allows no cross-origin caller."""
        origins = {origin.strip().rstrip("/") for origin in (setting or "").split(",")}
        return cls(frozenset(origin for origin in origins if origin))

    def allows(self, origin: str | None) -> bool:
        return bool(origin) and (origin in self.origins or ANY_ORIGIN in self.origins)

    def response_headers(self, origin: str | None) -> dict[str, str]:
        """For an answer to `origin`: nothing when it may not read it."""
        if not self.allows(origin):
            return {"Vary": "Origin"} if self.origins else {}
        if origin != ANY_ORIGIN and origin in self.origins:  # a caller sending `Origin: *` is no listed origin
            return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
                    "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS), "Vary": "Origin"}
        return {"Access-Control-Allow-Origin": ANY_ORIGIN, "Access-Control-Expose-Headers": ", ".join(EXPOSED_HEADERS)}

    def preflight_headers(self, origin: str | None, methods: Iterable[str]) -> dict[str, str]:
        """For a preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin."""
        headers = self.response_headers(origin)
        headers.pop("Access-Control-Expose-Headers", None)
        return {**headers, "Access-Control-Allow-Methods": ", ".join(sorted(methods)),
                "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS)}
