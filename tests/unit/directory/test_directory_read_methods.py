"""The directory's contract marks its pure reads `read` (request and reply transient, the reply unconfirmed:
shared/rpc_replies.py), and only methods the directory itself treats as changing nothing."""
from services.directory.adapters.kept_facts import READS
from shared.contracts import directory

MARKED_READ = {name for name, method in directory.contract.rpcs.items() if method.read}


def test_the_search_the_schools_and_the_profiles_travel_as_reads():
    assert MARKED_READ == {"search_people", "get_schools", "get_student_profile", "get_person_profile"}


def test_every_method_marked_read_is_one_the_directory_answers_without_writing():
    # A write marked read would lose its persistent request and its confirmed reply; the directory's kept
    # viewer facts (adapters/kept_facts.py) are dropped by every entrypoint not among its reads.
    assert MARKED_READ <= READS
