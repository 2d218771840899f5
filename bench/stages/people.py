"""Who the later stages act as, and the district's enabled students.

Viewers are staff of the generated package given a password through identity (as `schoolctl accounts
set-password` does) and signed in through the gateway. A quarter of the students get their accounts
enabled through the gateway's bulk endpoint, so that priority announcements reach them too.
"""
from __future__ import annotations

import csv
import secrets
from dataclasses import dataclass
from pathlib import Path

from bench.context import Context
from bench.platform_stack import Platform, wait_for
from shared.contracts import identity
from shared.messaging import cluster_rpc

ENABLED_SHARE = 4  # one student in four
ENABLE_PAGE = 5000  # the endpoint's most per call


@dataclass(frozen=True)
class Viewer:
    kind: str
    login: str
    token: str


def sign_in_viewers(ctx: Context, platform: Platform, package: Path) -> dict[str, Viewer]:
    """A district administrator, a school administrator and a teacher, signed in."""
    wanted = {"district_admin": _is_district_admin, "school_admin": _is_school_admin, "teacher": _is_teacher}
    chosen: dict[str, str] = {}
    with (package / "users.csv").open(newline="", encoding="utf-8") as users:
        for user in csv.DictReader(users):
            for kind, matches in wanted.items():
                if kind not in chosen and matches(user) and _usable_email(user["email"]):
                    chosen[kind] = user["email"]
            if len(chosen) == len(wanted):
                break
    missing = set(wanted) - set(chosen)
    if missing:
        raise RuntimeError(f"the package has no usable {', '.join(sorted(missing))}")
    password = secrets.token_urlsafe(16)
    with cluster_rpc(platform.vhost_uri, credential=platform.stack.operator_token()) as rpc:
        for login in chosen.values():
            rpc(identity.contract).set_password({"login": login, "password": password})
    return {kind: Viewer(kind, login, platform.stack.login(login, password)) for kind, login in chosen.items()}


def enable_quarter_of_students(ctx: Context, platform: Platform, admin: Viewer) -> int:
    student_ids = [row[0] for row in platform.query(
        "directory", "SELECT id FROM people WHERE is_student AND NOT archived ORDER BY source_id")][::ENABLED_SHARE]
    ctx.progress(f"enabling {len(student_ids):,} student accounts (one in {ENABLED_SHARE})")
    for start in range(0, len(student_ids), ENABLE_PAGE):
        response = platform.stack.api("POST", "/api/v1/directory/students/enable-accounts", admin.token,
                                      json={"student_ids": student_ids[start:start + ENABLE_PAGE]}, timeout=300)
        response.raise_for_status()
        refused = [r for r in response.json()["results"] if r["outcome"] not in ("enabled", "already_enabled")]
        if refused:
            raise RuntimeError(f"enabling students refused {len(refused)}: {refused[:3]}")

    def projected() -> int:
        return int(platform.scalar("notify", "SELECT count(*) FROM recipients WHERE student_account_enabled"))

    wait_for(ctx, "notify hearing of the enabled students", lambda: projected() >= len(student_ids),
             timeout=ctx.sizes.sync_timeout_seconds, report=lambda: f"{projected():,} of {len(student_ids):,}")
    return len(student_ids)


def _is_district_admin(user: dict) -> bool:
    return user["role"] == "administrator" and user["orgSourcedIds"] == "district"


def _is_school_admin(user: dict) -> bool:
    return user["role"] == "administrator" and user["orgSourcedIds"] != "district"


def _is_teacher(user: dict) -> bool:
    return user["role"] == "teacher"


def _usable_email(email: str) -> bool:
    return email.count("@") == 1 and " " not in email and email == email.strip()
