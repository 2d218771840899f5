"""Which uploads in an SFTP inbox a poll takes: complete by marker or by looking the same twice, one package a
poll with its guardians.csv, nothing half-written."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from services.rostering.domain.sftp_pickup import Entry, choose, claim_stamp, report_name, stale_claims, stamped


def file(name: str, size: int = 100, modified: int = 1_000) -> Entry:
    return Entry(name, size, modified)


def folder(name: str, *files: tuple[str, int], modified: int = 1_000) -> Entry:
    return Entry(name, 0, modified, is_folder=True, files=files)


def twice(entries: list[Entry]):
    """The second poll over the same listing."""
    return choose(entries, choose(entries, {}).seen)


def test_an_upload_seen_once_waits_for_the_next_poll():
    first = choose([file("roster.zip")], {})
    assert first.package is None and first.waiting == ("roster.zip",)


def test_an_upload_the_same_on_two_polls_is_taken():
    assert twice([file("roster.zip")]).package == file("roster.zip")


def test_an_upload_still_growing_waits():
    seen = choose([file("roster.zip", 100)], {}).seen
    assert choose([file("roster.zip", 250)], seen).package is None


def test_a_folder_is_complete_when_its_files_and_sizes_stay_the_same():
    seen = choose([folder("export", ("users.csv", 10))], {}).seen
    assert choose([folder("export", ("users.csv", 10), ("orgs.csv", 5))], seen).package is None
    grown = [folder("export", ("users.csv", 10), ("orgs.csv", 5))]
    assert choose(grown, choose(grown, seen).seen).package == grown[0]


def test_an_empty_upload_is_never_taken_without_a_marker():
    assert twice([file("roster.zip", 0)]).package is None
    assert twice([folder("export")]).package is None


def test_a_done_marker_makes_an_upload_complete_at_once_and_is_removed_with_it():
    for marker in ("roster.zip.done", "roster.done", "ROSTER.ZIP.DONE"):
        pickup = choose([file("roster.zip"), file(marker, 0)], {})
        assert pickup.package == file("roster.zip") and pickup.markers == (marker,)


def test_names_of_uploads_in_progress_and_the_outcome_folders_are_never_taken():
    listing = [file(".roster.zip"), file("roster.zip.part"), file("roster.zip.filepart"), folder("processed",
               ("x.zip", 4)), folder("failed", ("y.zip", 4)), folder("processing", ("z.zip", 4))]
    assert twice(listing).package is None and twice(listing).waiting == ()


def test_other_files_are_left_alone():
    pickup = twice([file("notes.txt"), file("users.csv")])
    assert pickup.package is None and pickup.waiting == ()


def test_the_oldest_complete_package_goes_first_and_one_a_poll():
    listing = [file("tuesday.zip", modified=2_000), file("monday.zip", modified=1_000)]
    assert twice(listing).package.name == "monday.zip"


def test_guardians_csv_goes_with_the_package():
    pickup = twice([file("roster.zip"), file("Guardians.csv")])
    assert pickup.package.name == "roster.zip" and pickup.guardians.name == "Guardians.csv"


def test_a_package_waits_for_a_guardians_csv_still_being_written():
    seen = choose([file("roster.zip"), file("guardians.csv", 10)], {}).seen
    pickup = choose([file("roster.zip"), file("guardians.csv", 20)], seen)
    assert pickup.package is None and pickup.waiting == ("guardians.csv",)


def test_a_guardians_csv_alone_waits_for_a_package():
    pickup = twice([file("guardians.csv")])
    assert pickup.package is None and pickup.guardians is None


def test_markers_of_both_are_removed():
    pickup = choose([file("roster.zip"), file("roster.done", 0), file("guardians.csv"),
                     file("guardians.csv.done", 0)], {})
    assert pickup.package.name == "roster.zip" and set(pickup.markers) == {"roster.done", "guardians.csv.done"}


def test_filed_names_carry_the_stamp_so_a_daily_drop_never_overwrites_the_last():
    assert stamped("20260901T060000Z-ab12", "roster.zip") == "20260901T060000Z-ab12-roster.zip"
    assert report_name("20260901T060000Z-ab12-roster.zip") == "20260901T060000Z-ab12-roster.zip.report.json"


sizes = st.integers(min_value=0, max_value=10_000)


@given(first=sizes, second=sizes)
def test_without_a_marker_a_file_is_taken_exactly_when_it_is_not_empty_and_did_not_change(first, second):
    seen = choose([file("roster.zip", first)], {}).seen
    taken = choose([file("roster.zip", second)], seen).package is not None
    assert taken == (first == second != 0)


@given(names=st.lists(st.sampled_from(["a.zip", "b.zip", "c.zip", "guardians.csv", "x.txt", "d.zip.part"]),
                      unique=True))
def test_what_is_taken_was_listed_and_is_a_package(names):
    listing = [file(name, modified=index) for index, name in enumerate(names)]
    pickup = twice(listing)
    if pickup.package is not None:
        assert pickup.package in listing and pickup.package.name.endswith(".zip")
        assert pickup.package.modified == min(e.modified for e in listing if e.name.endswith(".zip"))
    assert (pickup.package is None) == (not any(name.endswith(".zip") for name in names))


NOW = datetime(2026, 9, 1, 12, 0, tzinfo=timezone.utc)


def test_a_claim_is_stale_only_hours_after_it_was_made_and_goes_back_under_its_own_name():
    old = stamped(claim_stamp(NOW - timedelta(hours=7), "0123abcdef"), "roster.zip")
    recent = stamped(claim_stamp(NOW - timedelta(minutes=30), "4567abcdef"), "tuesday.zip")
    assert old == "20260901T050000Z-0123abcd-roster.zip"
    assert stale_claims([old, recent, "not-ours.zip"], now=NOW) == [(old, "roster.zip")]
