"""Errors that cross service boundaries.

Each is registered with nameko so a caller gets the same type back instead of
a generic RemoteError, and the gateway maps each type to one HTTP status in
one place. `fields` maps a field name to the reasons it was refused.
"""
from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class PlatformError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return self.message


@deserialize_to_instance
class InvalidRequest(PlatformError):
    code = "invalid_request"
    http_status = 400


@deserialize_to_instance
class NotAuthenticated(PlatformError):
    code = "not_authenticated"
    http_status = 401


@deserialize_to_instance
class PermissionDenied(PlatformError):
    code = "permission_denied"
    http_status = 403


@deserialize_to_instance
class NotFound(PlatformError):
    code = "not_found"
    http_status = 404


@deserialize_to_instance
class Conflict(PlatformError):
    code = "conflict"
    http_status = 409


@deserialize_to_instance
class Locked(PlatformError):
    """A manual change to something a roster sync manages."""

    code = "locked"
    http_status = 423


@deserialize_to_instance
class TooManyRequests(PlatformError):
    """The caller must slow down; the gateway adds Retry-After."""

    code = "too_many_requests"
    http_status = 429


@deserialize_to_instance
class ProviderUnavailable(PlatformError):
    """A provider the request needs (email, SMS) failed to answer; nothing was changed, so trying again is safe."""

    code = "provider_unavailable"
    http_status = 503


ALL_ERRORS = (InvalidRequest, NotAuthenticated, PermissionDenied, NotFound, Conflict, Locked, TooManyRequests,
              ProviderUnavailable)
