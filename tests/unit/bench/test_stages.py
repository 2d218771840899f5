"""The pure parts of the platform stages: the delta package, the search terms and the signed texts back."""
from __future__ import annotations

import csv
from urllib.parse import parse_qsl

from bench.stages.archive import departures_package
from bench.stages import conversations
from bench.stages.conversations import Backlog, InboundSettling, signed_replies
from bench.stages.search import name_prefixes
from bench.stages.sync import delta_package
from services.notify.adapters.webhooks import parse_twilio_inbound
from shared.provider_signatures import verify_twilio
from services.rostering.adapters.sources.oneroster_csv.generator import Scale, write_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package

TINY = Scale(schools=2, students=300, guardians=400, staff=30, classes=20, classes_per_student=3)


def _users(folder):
    with (folder / "users.csv").open(newline="", encoding="utf-8") as users:
        return list(csv.DictReader(users))


def test_the_delta_package_changes_one_user_in_a_hundred(tmp_path):
    package = write_district(tmp_path / "full", scale=TINY, seed=3)
    delta = delta_package(package, tmp_path / "delta")
    before, after = _users(package), _users(delta)
    changed = [new for old, new in zip(before, after) if old != new]
    assert len(after) == len(before)
    assert len(changed) == len(before[::100])
    assert all(new["sourcedId"] == old["sourcedId"] for old, new in zip(before, after))
    assert {path.name for path in delta.iterdir()} == {path.name for path in package.iterdir()}
    assert (delta / "enrollments.csv").read_bytes() == (package / "enrollments.csv").read_bytes()


def test_search_terms_are_lowercase_three_letter_name_prefixes(tmp_path):
    package = write_district(tmp_path / "full", scale=TINY, seed=3)
    prefixes = name_prefixes(package)
    families = {user["familyName"][:3].lower() for user in _users(package) if len(user["familyName"]) >= 3}
    assert families <= set(prefixes)
    assert all(len(prefix) == 3 and prefix == prefix.lower() for prefix in prefixes)


def test_the_departures_package_drops_15_percent_of_students_their_enrollments_and_childless_guardians(tmp_path):
    package = write_district(tmp_path / "full", scale=TINY, seed=3)
    out, leaving = departures_package(package, tmp_path / "departures")

    before, after = read_package(package), read_package(out)
    left_students = {p.source_id for p in before.people if "student" in p.kinds} - {
        p.source_id for p in after.people if "student" in p.kinds}
    assert len(left_students) == 45 and left_students <= leaving  # 15 % of 300
    assert not any(e.person_source_id in leaving for e in after.enrollments)
    assert not any(link.student_source_id in leaving or link.guardian_source_id in leaving
                   for link in after.guardian_links)
    # Every guardian kept still has a child, and nobody unrelated left.
    kept_guardians = {p.source_id for p in after.people if "guardian" in p.kinds}
    assert kept_guardians == {link.guardian_source_id for link in after.guardian_links}
    assert {p.source_id for p in before.people} - {p.source_id for p in after.people} == leaving


def test_the_texts_back_are_signed_as_notify_verifies_them_distinct_and_never_a_keyword():
    url = "http://127.0.0.1:8000/webhooks/twilio/inbound"
    env = {"TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "secret-token", "TWILIO_FROM_NUMBER": "+15550100"}
    phones = ["+15550001", "+15550002", "+15550003"]
    replies = signed_replies(url, env, phones, 7)

    assert len({sid for sid, _ in replies}) == 7
    for n, (sid, reply) in enumerate(replies):
        params = dict(parse_qsl(reply["body"], keep_blank_values=True))
        assert verify_twilio(url, params, reply["signature"], env["TWILIO_AUTH_TOKEN"])
        assert not verify_twilio(url, params, reply["signature"], "another-token")
        sms = parse_twilio_inbound(params)
        assert (params["MessageSid"], sms.from_, sms.to, sms.keyword) == (sid, phones[n % 3], "+15550100", None)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _settling(monkeypatch, snapshots: list[Backlog], expected: int = 10) -> tuple[InboundSettling, _Clock]:
    clock = _Clock()
    monkeypatch.setattr(conversations.time, "monotonic", clock)
    return InboundSettling(lambda: snapshots[0], expected), clock


def test_a_slow_filing_is_waited_for_while_the_queue_or_notifys_stored_texts_hold_any(monkeypatch):
    # Nothing moved for far longer than the settling time, but texts are still on the queue, then still
    # stored unfiled: they are slow, not lost, so counting waits.
    snapshots = [Backlog(queued=4, dead=0, stored=6, unfiled=0, filed=6)]
    settling, clock = _settling(monkeypatch, snapshots)
    assert not settling.settled()
    clock.now += 10 * conversations.SETTLE_SECONDS
    assert not settling.settled()

    snapshots[0] = Backlog(queued=0, dead=0, stored=10, unfiled=4, filed=6)
    assert not settling.settled()
    clock.now += 10 * conversations.SETTLE_SECONDS
    assert not settling.settled()


def test_every_text_filed_settles_at_once(monkeypatch):
    settling, _ = _settling(monkeypatch, [Backlog(queued=3, dead=0, stored=10, unfiled=0, filed=10)])
    assert settling.settled()


def test_texts_not_filed_once_everything_drained_and_still_are_lost(monkeypatch):
    snapshots = [Backlog(queued=0, dead=2, stored=8, unfiled=0, filed=8)]
    settling, clock = _settling(monkeypatch, snapshots)
    assert not settling.settled()
    clock.now += conversations.SETTLE_SECONDS / 2
    assert not settling.settled()
    clock.now += conversations.SETTLE_SECONDS
    assert settling.settled()
    assert "2 on notify.webhooks.dead" in settling.describe()
