"""THE endpoint table: the service registers its HTTP entrypoints from it and the OpenAPI document is built
from it, so the two cannot drift."""
from __future__ import annotations

import functools

from services.gateway import handlers
from services.gateway.api import ApiCall, Backends, Route
from services.gateway.openapi import build_document
from services.gateway.schemas import (
    EnableStudentAccountsBody, EnableStudentAccountsResult, HealthStatus, Me, PeopleQuery, SetPermissionsBody,
    UserProfile,
)
from services.identity.domain.permissions import (
    ENABLE_STUDENT_ACCOUNTS, SEARCH_DIRECTORY, SET_STAFF_PERMISSIONS, VIEW_PROFILES,
)
from shared.contracts import directory, identity

API = "/api/v1"


def openapi_document(call: ApiCall, backends: Backends) -> dict:
    return _document()


@functools.cache
def _document() -> dict:
    # Built on first request, not at import: the table is data, the document a view of it.
    return build_document(ROUTES)


ROUTES: tuple[Route, ...] = (
    Route("health", "GET", "/health", "Whether the gateway is up", "operations",
          handlers.health, HealthStatus, public=True),
    Route("openapi", "GET", f"{API}/openapi.json", "This API as an OpenAPI 3 document", "operations",
          openapi_document, None, public=True),
    Route("log_in", "POST", f"{API}/auth/login", "Sign in with an email or mobile phone and a password", "auth",
          handlers.log_in, identity.LoginResult, public=True, body=identity.LoginRequest, errors=(401, 429)),
    Route("show_me", "GET", f"{API}/me", "Who is signed in, with their account", "auth",
          handlers.show_me, Me),
    Route("search_people", "GET", f"{API}/directory/people", "Search the directory", "directory",
          handlers.search_people, directory.PeoplePage, action=SEARCH_DIRECTORY, query=PeopleQuery),
    Route("show_student_profile", "GET", f"{API}/directory/students/<id>", "A student's profile", "directory",
          handlers.show_student_profile, directory.StudentProfile, action=VIEW_PROFILES),
    Route("show_user_profile", "GET", f"{API}/directory/people/<id>",
          "A user's profile; credentials only for themselves or staff allowed to see them", "directory",
          handlers.show_user_profile, UserProfile, action=VIEW_PROFILES),
    Route("enable_student_accounts", "POST", f"{API}/directory/students/enable-accounts",
          "Enable student accounts in bulk (sends nothing)", "directory",
          handlers.enable_student_accounts, EnableStudentAccountsResult, action=ENABLE_STUDENT_ACCOUNTS,
          body=EnableStudentAccountsBody),
    Route("set_staff_permissions", "PUT", f"{API}/staff/<id>/permissions",
          "Replace a staff member's custom permissions", "staff",
          handlers.set_staff_permissions, identity.Account, action=SET_STAFF_PERMISSIONS,
          body=SetPermissionsBody),
    Route("list_schools", "GET", f"{API}/schools", "The schools of the caller's district", "directory",
          handlers.list_schools, directory.Schools),
)
