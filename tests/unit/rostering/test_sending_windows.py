"""send_pages lets a stage's rows and results go as its windows are answered, and tallies them as one."""
from services.rostering.domain.applied_rows import plan_sends, plan_sends_from_sources
from services.rostering.domain.run import EntityCounts, Tallying
from services.rostering.importing import SourceIdsOf
from services.rostering.sending import ACCOUNTS, ENROLLMENTS, PAGES_IN_FLIGHT, PEOPLE, send_pages


class _Reply:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class Echo:
    """Answers each item of a page as created, with an id made from its key."""

    def __init__(self, page_field: str, label):
        self.page_field, self.label, self.pages = page_field, label, 0

    def call_async(self, payload):
        self.pages += 1
        return _Reply({"results": [{"key": self.label(row), "id": f"id-{self.label(row)}", "outcome": "created",
                                    "problems": []} for row in payload[self.page_field]]})


def enrollment(n: int) -> dict:
    return {"source_id": f"e-{n}", "classroom_source_id": "c-1", "person_source_id": "p-1", "role": "student"}


def test_the_rows_handed_over_are_emptied_and_every_window_is_answered_in_order():
    rows = [enrollment(n) for n in range(2500 * PAGES_IN_FLIGHT)]
    windows = []

    sent = send_pages(ENROLLMENTS, Echo("enrollments", ENROLLMENTS.label), {}, rows, labels=None,
                      on_answered=lambda results: windows.append([result["key"] for result in results]))

    assert rows == []
    assert [key for window in windows for key in window] == [f"e-{n}" for n in range(2500 * PAGES_IN_FLIGHT)]
    assert sent.counts == EntityCounts(created=2500 * PAGES_IN_FLIGHT)


def test_only_a_stage_whose_ids_later_stages_need_keeps_them():
    people = [{"source_id": f"p-{n}"} for n in range(3)]

    kept = send_pages(PEOPLE, Echo("people", PEOPLE.label), {}, people, labels=None, on_answered=lambda _: None)
    dropped = send_pages(ENROLLMENTS, Echo("enrollments", ENROLLMENTS.label), {}, [enrollment(1)], labels=None,
                         on_answered=lambda _: None)

    assert kept.ids == {"p-0": "id-p-0", "p-1": "id-p-1", "p-2": "id-p-2"}
    assert dropped.ids == {} and dropped.counts.created == 1


def test_a_tally_taken_a_window_at_a_time_counts_items_without_a_result_once():
    counting = Tallying("people")
    counting.add([{"key": "a", "id": "1", "outcome": "created"}])
    counting.add([{"key": "b", "id": None, "outcome": "failed", "problems": []}])

    counted = counting.done(sent=4)

    assert counted.counts == EntityCounts(created=1, failed=3)
    assert [refusal.reason for refusal in counted.refusals] == [
        "not saved (failed)", "2 item(s) got no result from the service"]


def test_rows_to_send_are_kept_as_their_records_and_built_again_a_slice_at_a_time():
    built = []

    def build(record):
        built.append(record)
        return {"source_id": record}

    plan = plan_sends_from_sources(["a", "b", "c"], key=lambda record: record, source=lambda record: None,
                                   build=build, applied={})
    built.clear()

    assert len(plan.to_send) == 3 and built == []
    assert plan.to_send[:2] == [{"source_id": "a"}, {"source_id": "b"}] and built == ["a", "b"]
    del plan.to_send[:2]
    assert plan.to_send == [{"source_id": "c"}]


def test_sending_a_plan_builds_each_row_once_more_and_leaves_the_plan_empty():
    plan = plan_sends([enrollment(n) for n in range(1500)], key=ENROLLMENTS.label, applied={})

    sent = send_pages(ENROLLMENTS, Echo("enrollments", ENROLLMENTS.label), {}, plan.to_send, labels=None,
                      on_answered=lambda _: None)

    assert len(plan.to_send) == 0 and sent.counts.created == 1500


def test_the_accounts_source_ids_are_worked_out_only_when_an_account_is_refused():
    person_ids = {f"p-{n}": f"id-p-{n}" for n in range(3)}
    accounts = [{"person_id": person_id} for person_id in person_ids.values()]
    labels = SourceIdsOf(person_ids)

    send_pages(ACCOUNTS, Echo("accounts", ACCOUNTS.label), {}, accounts, labels=labels, on_answered=lambda _: None)

    assert "_source_ids" not in vars(labels)  # no account refused: the people's ids were not turned round
    counting = Tallying("accounts", labels)
    counting.add([{"key": "id-p-1", "id": None, "outcome": "failed", "problems": []}])
    assert [refusal.label for refusal in counting.done(sent=1).refusals] == ["p-1"]
    assert dict(labels) == {"id-p-0": "p-0", "id-p-1": "p-1", "id-p-2": "p-2"}
