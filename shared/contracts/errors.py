"""Errors that cross service boundaries.

Each is registered with nameko (by shared/messaging.py, through which every RPC goes) so a caller gets the same
type back instead of a generic RemoteError, and the gateway maps each type to one HTTP status in one place.
`fields` maps a field name to the reasons it was refused.

This module does not import nameko itself: the contracts are read by commands that reach no service
(`schoolctl roster check`), which start faster without it.
"""
from __future__ import annotations


class PlatformError(Exception):
    code = "error"
    http_status = 500

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return self.message


class InvalidRequest(PlatformError):
    code = "invalid_request"
    http_status = 400


class NotAuthenticated(PlatformError):
    code = "not_authenticated"
    http_status = 401


class PermissionDenied(PlatformError):
    code = "permission_denied"
    http_status = 403


class NotFound(PlatformError):
    code = "not_found"
    http_status = 404


class Conflict(PlatformError):
    code = "conflict"
    http_status = 409


class Locked(PlatformError):
    """A manual change to something a roster sync manages."""

    code = "locked"
    http_status = 423


class TooManyRequests(PlatformError):
    """The caller must slow down; the gateway adds Retry-After."""

    code = "too_many_requests"
    http_status = 429


class ProviderUnavailable(PlatformError):
    """A provider the request needs (email, SMS) failed to answer; nothing was changed, so trying again is safe."""

    code = "provider_unavailable"
    http_status = 503


class StorageUnavailable(PlatformError):
    """The service's database could not take the request (unreachable, read-only, busy); nothing was changed
    that the caller must know of, so trying again shortly is safe. A provider's webhook answered so is retried."""

    code = "storage_unavailable"
    http_status = 503


ALL_ERRORS = (InvalidRequest, NotAuthenticated, PermissionDenied, NotFound, Conflict, Locked, TooManyRequests,
              ProviderUnavailable, StorageUnavailable)


def register_with_nameko() -> None:
    """Have nameko raise these errors as themselves on the caller's side, not as RemoteError."""
    from nameko.exceptions import deserialize_to_instance

    for error in ALL_ERRORS:
        deserialize_to_instance(error)
