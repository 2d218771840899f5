"""The OneRoster versions this product reads and, per version, the files it reads.

Every source names OneRoster's collections by these file names in its Snapshot (a REST provider's
/users is users.csv there): archiving, the guard and a run's counts key on them.
"""

from __future__ import annotations

V1_1 = "1.1"
V1_2 = "1.2"

MANIFEST = "manifest.csv"
ORGS = "orgs.csv"
SESSIONS = "academicSessions.csv"
COURSES = "courses.csv"
CLASSES = "classes.csv"
USERS = "users.csv"
ROLES = "roles.csv"
USER_PROFILES = "userProfiles.csv"
ENROLLMENTS = "enrollments.csv"

READ_FILES = {V1_1: (ORGS, SESSIONS, COURSES, CLASSES, USERS, ENROLLMENTS),
              V1_2: (ORGS, SESSIONS, COURSES, CLASSES, USERS, ROLES, USER_PROFILES, ENROLLMENTS)}
# Lower-cased name -> the spec's spelling, for every file either version reads.
CANONICAL = {name.lower(): name for names in READ_FILES.values() for name in names}


def canonical_name(name: str) -> str:
    """The spec's spelling of a file this product reads, matched regardless of case; any other name as given."""
    return CANONICAL.get(name.lower(), name)


def is_read_file(name: str) -> bool:
    """A file some version reads (roles.csv is one, even in a 1.1 package)."""
    return name.lower() in CANONICAL
