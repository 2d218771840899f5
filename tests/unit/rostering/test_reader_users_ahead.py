"""users.csv's credentials normalised in a child process give the Snapshot of a read in one process."""
import io
import os
import time

import pytest

from oneroster_builders import (
    make_guardian_row,
    make_teacher_row,
    make_user_row,
    write_package,
    zip_folder,
)
from rostering_fakes import exit_at_once, killed, raising

from services.rostering.adapters.sources.oneroster_csv import enrollments_apart, reader
from services.rostering.adapters.sources.oneroster_csv import users_ahead as users_ahead_adapter
from services.rostering.adapters.sources.oneroster_csv.csv_rows import CsvRecords
from services.rostering.adapters.sources.oneroster_csv.generator import SCALES, write_district
from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.domain import user_reader, users_ahead
from services.rostering.domain.errors import PackageRejected
from services.rostering.domain.findings import Findings
from services.rostering.domain.package_files import V1_1
from services.rostering.domain.records import unread_target
from services.rostering.domain.snapshot import BULK
from services.rostering.domain.users_ahead import AheadChunk, WorkedAhead, work_ahead
from services.rostering.domain.values import PhoneNormaliser, email_normaliser


def read_both_ways(path):
    """The Snapshot read with users.csv worked on here alone, checked equal to the one with a child working ahead."""
    here = read_package(path, users_ahead=False)
    ahead = read_package(path, users_ahead=True)
    assert ahead == here
    # Links compare by their pair only: where each was claimed must match too.
    assert [(link.line, link.column) for link in ahead.guardian_links] == [
        (link.line, link.column) for link in here.guardian_links]
    assert_no_child_left()
    return here


def assert_no_child_left():
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def broken_users_package(folder, *, modes=None):
    """Users rows whose credentials and cells the reader refuses, cleans, merges or skips, some values repeated."""
    users = [
        make_teacher_row(email="Grace@Lincoln.K12.US", sms="(617) 253-1000"),
        make_user_row(agentSourcedIds="guardian-1,guardian-404"),
        make_guardian_row(agentSourcedIds="student-1", email="grace@lincoln.k12.us", phone="617.253.1001"),
        make_guardian_row(sourcedId="guardian-2", email="not an email", sms="12", phone="(555) 000-0000"),
        make_guardian_row(sourcedId="guardian-3", email="x@@example.org", sms="+44 20 7946 0958", phone="abc"),
        make_guardian_row(sourcedId="guardian-4", email="not an email", sms="(617) 253-1000"),
        make_user_row(sourcedId="student-1", givenName="Again"),
        make_user_row(sourcedId="student-ctl", givenName="Ad\x07a", email="ctl\x01@example.org"),
        make_user_row(sourcedId="student-lines", familyName="Love\nlace", email=" Upper.Case@Example.ORG "),
        make_user_row(sourcedId="student-gone", status="tobedeleted", email="gone@example.org"),
        make_user_row(sourcedId="student-odd", status="archived", sms="abc"),
        make_user_row(sourcedId="student-flag", enabledUser="perhaps", email="Upper.Case@Example.ORG"),
        make_user_row(sourcedId="student-role", role="wizard", email="wizard@example.org"),
        make_user_row(sourcedId="", email="nobody@example.org"),
        make_user_row(sourcedId="student-last", sms="+1 (617) 253-1000 x12", givenName=""),
    ]
    write_package(folder, users=users, modes=modes)
    path = folder / "users.csv"
    path.write_text(path.read_text() + "student-shifted,active,,true,school-1,student,,,A,B,,,,,,,,,x\n")
    return folder


def test_a_small_generated_district_reads_the_same(tmp_path):
    snapshot = read_both_ways(write_district(tmp_path / "district", scale=SCALES["small"], seed=3))

    assert len(snapshot.people) > 2_000 and sum(bool(person.email) for person in snapshot.people) > 1_000


def test_broken_users_rows_are_reported_alike_in_order(tmp_path):
    snapshot = read_both_ways(broken_users_package(tmp_path))

    refused = [(p.line, p.column) for p in snapshot.problems if "value ignored, row kept" in p.reason]
    assert refused[:4] == [(5, "email"), (5, "sms"), (5, "phone"), (6, "email")]
    assert snapshot.aliases == (("guardian-1", "teacher-1"),)


def test_a_delta_and_a_zip_with_broken_users_rows_read_the_same(tmp_path):
    read_both_ways(broken_users_package(tmp_path / "delta", modes={"users": "delta"}))
    read_both_ways(zip_folder(broken_users_package(tmp_path / "package"), tmp_path / "package.zip", prefix="x/"))


def test_chunks_of_two_records_read_the_same(tmp_path, monkeypatch):
    monkeypatch.setattr(users_ahead, "CHUNK_RECORDS", 2)
    monkeypatch.setattr(users_ahead, "LOOK_AGAIN_LINES", 1)

    read_both_ways(broken_users_package(tmp_path))


def test_a_refused_users_file_is_refused_alike_and_the_child_reaped(tmp_path):
    package = write_package(tmp_path, users=[{"givenName": "Ada", "familyName": "Lovelace", "role": "student"}])

    with pytest.raises(PackageRejected) as here:
        read_package(package, users_ahead=False)
    with pytest.raises(PackageRejected) as ahead:
        read_package(package, users_ahead=True)

    assert str(ahead.value) == str(here.value)
    assert_no_child_left()


def slow(*_args, **_kwargs):
    time.sleep(60)
    return iter(())


@pytest.mark.parametrize("child", [exit_at_once, killed, raising, slow])
def test_a_child_that_fails_or_lags_leaves_the_work_to_the_reader(tmp_path, monkeypatch, child):
    monkeypatch.setattr(users_ahead_adapter, "work_ahead", child)
    started = time.monotonic()

    read_both_ways(broken_users_package(tmp_path))

    assert time.monotonic() - started < 30  # a lagging child is never waited for, and is killed


def test_the_credentials_come_from_the_child_when_it_is_ahead(tmp_path, monkeypatch):
    arrived = users_ahead_adapter.UsersAhead._arrived
    taken = []

    def waiting_for_the_first(self):
        """The first look waits for the child (the reader never does), so the test knows what it gets."""
        deadline = time.monotonic() + 20
        chunk = arrived(self)
        while chunk is None and not taken and time.monotonic() < deadline:
            time.sleep(0.01)
            chunk = arrived(self)
        taken.append(chunk)
        return chunk
    monkeypatch.setattr(users_ahead_adapter.UsersAhead, "_arrived", waiting_for_the_first)
    normalised_here = []

    def counted_email_normaliser():
        normalise = email_normaliser()
        return lambda raw: normalised_here.append(raw) or normalise(raw)
    monkeypatch.setattr(user_reader, "email_normaliser", counted_email_normaliser)

    read_package(broken_users_package(tmp_path), users_ahead=True)

    assert taken[0] is not None and taken[0].emails["Upper.Case@Example.ORG"] == "upper.case@example.org"
    assert "not an email" not in taken[0].emails and "abc" not in taken[0].phones
    # Only the refused emails are normalised here: the reader refuses (and reports) them itself.
    assert sorted(normalised_here) == ["ctl\x01@example.org", "not an email", "not an email", "x@@example.org"]


# --- the domain's two sides --------------------------------------------------------


def users_text_file(text):
    records = CsvRecords("users.csv", io.StringIO(text))
    return user_reader.users_file(BULK, records, Findings(), V1_1)


def test_work_ahead_hands_over_each_value_once_and_only_if_it_normalises(monkeypatch):
    monkeypatch.setattr(users_ahead, "CHUNK_RECORDS", 2)
    credentials = [("Ada@Example.org", "617-253-1000", ""), ("not an email", "617-253-1000", "12"),
                   ("ada@example.org", "", "617.253.1001")]

    chunks = list(work_ahead(credentials, normalise_email=email_normaliser(),
                             normalise_phone=PhoneNormaliser("US").normalise))

    assert chunks == [AheadChunk({"Ada@Example.org": "ada@example.org"}, {"617-253-1000": "+16172531000"}),
                      AheadChunk({"ada@example.org": "ada@example.org"}, {"617.253.1001": "+16172531001"})]


def test_the_reader_takes_what_arrived_and_works_out_the_rest_itself():
    text = ("sourcedId,status,role,givenName,familyName,orgSourcedIds,email,sms,phone\n"
            "a,active,student,Ada,L,school-1,Ada@Example.org,617-253-1000,\n"
            "b,active,parent,Bo,L,school-1,not an email,617-253-1000,12\n"
            "c,active,parent,Cy,L,school-1,cy@example.org,,617.253.1001\n")
    file = user_reader.users_file(BULK, CsvRecords("users.csv", io.StringIO(text)), Findings(), V1_1)
    handed = iter([AheadChunk({"Ada@Example.org": "child@example.org"}, {"617-253-1000": "+10000000000"})])
    ended = []
    ahead = WorkedAhead(lambda: next(handed, None), lambda: ended.append(True))

    people, _ = user_reader.read_users(file, orgs=unread_target("org", "orgs.csv"), phones=PhoneNormaliser("US"),
                                       assigned=None, ahead=ahead)

    a, b, c = people["a"], people["b"], people["c"]
    assert (a.email, a.mobile_phone) == ("child@example.org", "+10000000000")
    # After a refusal the row's later values are worked out here one at a time (the same values either way).
    assert (b.email, b.mobile_phone, b.invalid_fields) == (None, "+16172531000", ("email", "home_phone"))
    assert [(p.line, p.column) for p in file.findings.problems] == [(3, "email"), (3, "phone")]
    assert (c.email, c.home_phone) == ("cy@example.org", "+16172531001")  # not handed over: worked out here
    assert ended == [True]


def test_only_a_large_users_file_is_worked_on_ahead(tmp_path, monkeypatch):
    forks = []
    monkeypatch.setattr(reader, "UsersAhead", lambda *args: forks.append(args))

    read_package(broken_users_package(tmp_path))

    assert forks == []


def test_enrollments_child_waits_for_the_users_child_to_be_done_or_gone(tmp_path, monkeypatch):
    monkeypatch.setattr(enrollments_apart, "AFTER_SECONDS", 0.2)
    mark = tmp_path / "done"

    started = time.monotonic()
    enrollments_apart._wait_for(mark)
    waited = time.monotonic() - started
    mark.touch()
    enrollments_apart._wait_for(mark)
    enrollments_apart._wait_for(tmp_path / "gone" / "done")

    assert 0.2 <= waited and time.monotonic() - started < waited + 0.1
