"""The service's ticker: calls beside a block while it runs, stopped (never killed) before the block's caller
goes on, and a failing call ends the ticking, not the run."""
import eventlet
from oneroster_builders import family_package

from services.rostering.adapters.sources.oneroster_csv.reader import read_package
from services.rostering.adapters.ticking import every_second
from services.rostering.domain.progress import RowCount


def test_ticks_come_while_the_block_runs_and_stop_with_it():
    ticks = []

    with every_second(lambda: ticks.append(1), seconds=0.01):
        eventlet.sleep(0.1)
    ticked = len(ticks)
    eventlet.sleep(0.05)

    assert ticked >= 3 and len(ticks) == ticked


def test_a_failing_tick_stops_the_ticking_and_the_block_goes_on():
    calls = []

    def tick():
        calls.append(1)
        raise RuntimeError("database gone")

    with every_second(tick, seconds=0.01):
        eventlet.sleep(0.05)

    assert calls == [1]


def test_the_reader_counts_every_record_it_reads(tmp_path):
    count = RowCount()

    snapshot = read_package(family_package(tmp_path), rows=count)

    assert count.rows == sum(file.rows for file in snapshot.files if file.read) > 0
