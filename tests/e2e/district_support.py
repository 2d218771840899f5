"""For the end-to-end tests: the demo district imported through rostering, people found through the gateway,
passwords set with schoolctl (as the stack's operator), and waiting for what happens in the background."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from schoolctl.demo import write_demo_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from shared.contracts import notify

PASSWORD = "correct horse battery staple"
WAIT_SECONDS = 60.0


def schoolctl(stack, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "AMQP_URI": stack.amqp_uri, "PYTHONWARNINGS": "ignore", **stack.operator_env,
           "IDENTITY_DATABASE_URL": stack.database_urls["identity"]}
    return subprocess.run([str(Path(sys.executable).parent / "schoolctl"), *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=300)


def import_demo_district(stack, folder: Path):
    """The demo district written to `folder` and imported through rostering; its snapshot as read."""
    package = write_demo_district(folder)
    imported = schoolctl(stack, "roster", "import", str(package), "--json")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    return read_package(package)


def set_password(stack, login: str) -> None:
    result = schoolctl(stack, "accounts", "set-password", login, "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stdout + result.stderr


def sign_in(stack, login: str) -> str:
    """A token for `login`, after giving it the test password."""
    set_password(stack, login)
    return stack.login(login, PASSWORD)


def people_named(snapshot, **where):
    return [p for p in snapshot.people if all(getattr(p, k) == v for k, v in where.items())]


def person(snapshot, source_id: str):
    return next(p for p in snapshot.people if p.source_id == source_id)


def search(stack, token, **params):
    response = stack.api("GET", "/api/v1/directory/people", token, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def find_person_id(stack, token, person, kind):
    page = search(stack, token, query=person.family_name, kind=kind, per_page=200)
    matches = [item for item in page["items"]
               if item["given_name"] == person.given_name and item["family_name"] == person.family_name]
    assert matches, f"{person.given_name} {person.family_name} not found"
    return matches[0]["id"]


def wait_for(predicate, seconds: float = WAIT_SECONDS, what: str = "condition"):
    """The first truthy value of `predicate`, polled until `seconds` have passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not met within {seconds:.0f} s")


def enable_student(stack, token: str, student_id: str) -> None:
    """Enable a student's account through the gateway, and wait until notify has learnt of it (an event)."""
    enabled = stack.api("POST", "/api/v1/directory/students/enable-accounts", token,
                        json={"student_ids": [student_id]})
    assert enabled.status_code == 200, enabled.text

    def projected() -> bool:
        with stack.rpc_as_operator() as rpc:
            rows = rpc(notify.contract).get_recipients({"person_ids": [student_id]})["recipients"]
        return bool(rows) and rows[0]["student_account_enabled"]

    wait_for(projected, what="the student enabled in notify")


OTHER_DISTRICT_ID = "other-district"


def write_other_district(folder: Path) -> Path:
    """The demo district again as a district of its own: other ids, names, emails and phones (the same people
    by name, so the same seats are found the same way in both)."""
    package = write_demo_district(folder)
    for csv_file in package.glob("*.csv"):
        text = csv_file.read_text(encoding="utf-8")
        text = (text.replace("demo-district", OTHER_DISTRICT_ID).replace("Demo Unified", "Other Unified")
                .replace("@families.example.org", f"@families.{OTHER_DISTRICT_ID}.example.org"))
        # Same area code, another number on the 555 exchange: the demo's numbers all stay under 5000.
        text = re.sub(r"\+1(\d{3})555(\d)(\d{3})", lambda m: f"+1{m[1]}555{int(m[2]) + 5}{m[3]}", text)
        csv_file.write_text(text, encoding="utf-8")
    return package


def joined_in_notify(stack, person_id: str) -> bool:
    with stack.rpc_as_operator() as rpc:
        rows = rpc(notify.contract).get_recipients({"person_ids": [person_id]})["recipients"]
    return bool(rows) and rows[0]["joined"]


def signed_in_guardian(stack, admin: str, district, source_id: str) -> tuple[str, str]:
    """A guardian who signed in (so joined: the app channel exists for them), once notify knows it."""
    guardian = person(district, source_id)
    token = sign_in(stack, guardian.email)
    guardian_id = find_person_id(stack, admin, guardian, "guardian")
    wait_for(lambda: joined_in_notify(stack, guardian_id), what="notify to learn the guardian joined")
    return token, guardian_id
