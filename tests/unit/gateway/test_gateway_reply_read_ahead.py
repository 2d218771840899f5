"""The reply consumer's transport reads ahead (services/gateway/replies.py), without a broker: over any split of
the same bytes into what the socket holds at each moment, timeouts between them included, it reads the frames
py-amqp's own TCP transport reads, in the same order, and asks the socket for fewer reads."""
from __future__ import annotations

import socket
import struct

from amqp.transport import TCPTransport
from hypothesis import example, given
from hypothesis import strategies as st

from services.gateway.replies import READ_AHEAD_BYTES, ReadAheadTransport

FRAME_END = b"\xce"
TIMED_OUT = "timed out"  # a moment the socket holds nothing within the read's timeout


def _frame(frame_type: int, channel: int, payload: bytes) -> bytes:
    return struct.pack(">BHI", frame_type, channel, len(payload)) + payload + FRAME_END


class ScriptedSocket:
    """What a broker's socket holds at each moment: a recv takes at most what it asks for from the current
    chunk; a TIMED_OUT moment raises socket.timeout once; an empty script is the broker closing."""

    def __init__(self, script: list) -> None:
        self.script = list(script)
        self.asked: list[int] = []

    def recv(self, size: int) -> bytes:
        self.asked.append(size)
        if not self.script:
            return b""
        if self.script[0] == TIMED_OUT:
            self.script.pop(0)
            raise socket.timeout()
        chunk = self.script[0]
        taken, rest = chunk[:size], chunk[size:]
        if rest:
            self.script[0] = rest
        else:
            self.script.pop(0)
        return taken

    def sendall(self, data: bytes) -> None:
        raise AssertionError("nothing is written here")

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 5672)

    getpeername = getsockname


def _transport(transport_class: type[TCPTransport], sock: ScriptedSocket) -> TCPTransport:
    transport = transport_class.__new__(transport_class)  # no connection: the scripted socket stands in
    transport.sock = sock
    transport.raise_on_initial_eintr = True
    transport._setup_transport()
    return transport


def _frames_read(transport_class: type[TCPTransport], script: list) -> tuple[list, int, list[int]]:
    """Every frame read until the script ends, a timed-out read tried again as kombu's consumer does; how many
    reads timed out; the sizes asked of the socket."""
    sock = ScriptedSocket(script)
    transport = _transport(transport_class, sock)
    frames, timeouts = [], 0
    while True:
        try:
            frames.append(transport.read_frame())
        except socket.timeout:
            timeouts += 1
        except OSError:  # the broker closed the connection: nothing more to read
            return frames, timeouts, sock.asked


payloads = st.binary(min_size=0, max_size=3 * READ_AHEAD_BYTES // 2)
frames = st.lists(st.tuples(st.integers(1, 8), st.integers(0, 3), payloads), min_size=1, max_size=6)


@st.composite
def scripts(draw) -> list:
    """The frames' bytes, split at any points, a timeout at any of the splits."""
    data = b"".join(_frame(*frame) for frame in draw(frames))
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=12)))
    chunks = [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)])]
    script: list = []
    for chunk in chunks:
        if draw(st.booleans()):
            script.append(TIMED_OUT)
        script.append(chunk)
    return script


@given(scripts())
@example([_frame(1, 1, b"method") + _frame(2, 1, b"header") + _frame(3, 1, b"body" * 1500)])
@example([_frame(3, 1, b"body")[:3], TIMED_OUT, _frame(3, 1, b"body")[3:9], TIMED_OUT, _frame(3, 1, b"body")[9:]])
def test_the_same_bytes_make_the_same_frames_in_the_same_order_timeouts_between_them_included(script):
    expected, expected_timeouts, _ = _frames_read(TCPTransport, script)

    read, timeouts, _ = _frames_read(ReadAheadTransport, script)

    assert read == expected
    assert timeouts == expected_timeouts


def test_a_reply_held_whole_by_the_socket_is_read_in_one_recv_not_nine():
    reply = _frame(1, 1, b"m" * 60) + _frame(2, 1, b"h" * 40) + _frame(3, 1, b"b" * 7000)

    _, _, asked_of_tcp = _frames_read(TCPTransport, [reply])
    read, _, asked = _frames_read(ReadAheadTransport, [reply])

    assert len(read) == 3
    assert len(asked_of_tcp) == 10  # three a frame, then the close
    assert asked == [READ_AHEAD_BYTES, READ_AHEAD_BYTES]  # the reply, then the close
