"""The directory's words: its name, the kinds of people, a student account's statuses."""
from __future__ import annotations

NAME = "directory"

STUDENT = "student"
STAFF = "staff"
GUARDIAN = "guardian"
KINDS = (STUDENT, STAFF, GUARDIAN)
# A student's account as the directory filter shows it (DESIGN.md: Student Account Status): not enabled;
# enabled (a Student User nobody has invited yet); invited (an invitation was sent); active (joined).
STUDENT_ACCOUNT_STATUSES = ("not_enabled", "enabled", "invited", "active")
