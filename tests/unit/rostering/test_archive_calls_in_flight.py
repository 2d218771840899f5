"""The archive's calls to the directory slide: a page goes as soon as the oldest in flight is answered, never
more than PAGES_IN_FLIGHT at once, answers in plan order, and an entity's pages only once the one before it is
answered."""
from services.rostering.archiving import ARCHIVE_PAGE, ArchivePlan, apply, check
from services.rostering.domain.archive_plan import ENROLLMENTS, PEOPLE, ArchiveRow
from services.rostering.sending import PAGES_IN_FLIGHT
from tests.unit.rostering.rostering_fakes import FakeAppliedRows


class _Reply:
    def __init__(self, directory: "Directory", page: int, payload: dict):
        self.directory, self.page, self.payload = directory, page, payload

    def result(self):
        self.directory.events.append(("answered", self.page))
        self.directory.in_flight -= 1
        return {"results": [{"key": key, "id": f"id-{key}", "outcome": "done", "name": key, "kinds": [],
                             "school_ids": []} for key in self.payload["source_ids"]]}


class _Calls:
    def __init__(self, directory: "Directory"):
        self.directory = directory

    def call_async(self, payload: dict) -> _Reply:
        directory = self.directory
        directory.sent += 1
        directory.in_flight += 1
        directory.most_in_flight = max(directory.most_in_flight, directory.in_flight)
        directory.events.append(("sent", directory.sent, payload["entity"], payload["dry_run"]))
        return _Reply(directory, directory.sent, payload)


class Directory:
    """Records when each page is sent and when its answer is read."""

    def __init__(self):
        self.events: list[tuple] = []
        self.sent = self.in_flight = self.most_in_flight = 0
        self.archive_synced_records = _Calls(self)

    def get_district_counts(self, request: dict) -> dict:
        return {"people": 10 ** 6, "people_by_kind": {}, "classrooms": 0, "enrollments": 10 ** 6,
                "guardian_links": 0}

    def get_schools(self, request: dict) -> dict:
        return {"schools": []}


def rows(entity: str, pages: int) -> list[ArchiveRow]:
    return [ArchiveRow(entity, f"{entity}-{n}", f"{entity}.csv", None, "gone")
            for n in range(pages * ARCHIVE_PAGE)]


def plan(people_pages: int, enrollment_pages: int) -> ArchivePlan:
    return ArchivePlan(rows(PEOPLE, people_pages) + rows(ENROLLMENTS, enrollment_pages))


def test_the_next_page_goes_as_soon_as_the_oldest_is_answered_and_answers_come_in_plan_order():
    directory = Directory()
    planned = plan(PAGES_IN_FLIGHT + 3, 0)

    checked = check(planned, district_id="d-1", directory=directory, threshold=1.0).checked

    assert [row.row.key for row in checked] == [row.key for row in planned.rows]
    assert directory.most_in_flight == PAGES_IN_FLIGHT
    # The first PAGES_IN_FLIGHT go at once; after that each answer lets exactly one more go.
    first = [("sent", n, PEOPLE, True) for n in range(1, PAGES_IN_FLIGHT + 1)]
    assert directory.events[:PAGES_IN_FLIGHT] == first
    assert directory.events[PAGES_IN_FLIGHT:PAGES_IN_FLIGHT + 4] == [
        ("answered", 1), ("sent", PAGES_IN_FLIGHT + 1, PEOPLE, True),
        ("answered", 2), ("sent", PAGES_IN_FLIGHT + 2, PEOPLE, True)]
    assert [event[1] for event in directory.events if event[0] == "answered"] == list(
        range(1, PAGES_IN_FLIGHT + 4))


def test_an_entity_s_pages_go_only_once_every_page_of_the_one_before_is_answered():
    directory = Directory()
    planned = plan(2, PAGES_IN_FLIGHT + 1)

    apply(planned, None, district_id="d-1", district_key="district-1", directory=directory,
          applied=FakeAppliedRows())

    first_enrollments = next(index for index, event in enumerate(directory.events)
                             if event[0] == "sent" and event[2] == ENROLLMENTS)
    answered_before = [event[1] for event in directory.events[:first_enrollments] if event[0] == "answered"]
    assert answered_before == [1, 2]
    assert directory.most_in_flight == PAGES_IN_FLIGHT
    assert all(event[3] is False for event in directory.events if event[0] == "sent")
    assert directory.sent == 2 + PAGES_IN_FLIGHT + 1
