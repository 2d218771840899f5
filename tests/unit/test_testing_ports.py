import socket

from shared.testing import ports


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_listened_on():
    start = ports._ephemeral_start()
    picked = {ports.free_port() for _ in range(20)}

    for port in picked:
        assert ports.LOWEST <= port < start or start <= ports.LOWEST
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))
            server.listen()
    assert len(picked) > 1


def test_a_port_already_listened_on_is_not_picked(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        choices = iter([port, port, port + 1 if port + 1 < 65536 else port - 1])
        monkeypatch.setattr(ports, "_ephemeral_start", lambda: 65536)
        monkeypatch.setattr(ports._pick, "randrange", lambda low, high: next(choices))

        assert ports.free_port() != port


def test_a_machine_with_a_low_ephemeral_range_gets_the_kernels_pick(monkeypatch):
    monkeypatch.setattr(ports, "_ephemeral_start", lambda: 1024)

    with socket.socket() as server:
        server.bind(("127.0.0.1", ports.free_port()))


def test_a_port_is_handed_out_once_even_when_nothing_listens_on_it_yet(monkeypatch):
    monkeypatch.setattr(ports, "_ephemeral_start", lambda: 65536)
    monkeypatch.setattr(ports, "_handed_out", set())
    choices = iter([20_001, 20_001, 20_001, 20_002])
    monkeypatch.setattr(ports._pick, "randrange", lambda low, high: next(choices))

    assert [ports.free_port(), ports.free_port()] == [20_001, 20_002]
