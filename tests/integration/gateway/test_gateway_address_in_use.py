"""A gateway started on the address another gateway listens on fails to start, rather than sharing the port.

With SO_REUSEPORT (eventlet's default for a listening socket) both bound it and the kernel handed each new
connection to either one: a sign-in answered through one platform and the next request through another's, whose
identity refuses the token ("the session is not valid: sign in again"), as two test stacks given the same port
met it."""
import errno

import pytest


def test_a_second_gateway_on_the_address_of_a_running_one_does_not_start(start_gateway):
    running = start_gateway()

    with pytest.raises(OSError) as refused:
        start_gateway(WEB_SERVER_ADDRESS=running.url.removeprefix("http://"))

    assert refused.value.errno == errno.EADDRINUSE
    assert running.get("/health").status_code == 200
