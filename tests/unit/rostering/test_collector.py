import gc

from services.rostering.domain.collector import collector_paused


def test_the_collector_is_paused_inside_and_running_again_after():
    assert gc.isenabled()

    with collector_paused():
        assert not gc.isenabled()

    assert gc.isenabled()


def test_a_collector_paused_before_stays_paused():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
