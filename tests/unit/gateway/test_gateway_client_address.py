"""Which address a request's failed sign-ins count against: X-Forwarded-For only through trusted proxies."""
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.gateway.domain.client_address import InvalidProxyList, TrustedProxies, client_address
from services.gateway.domain.throttling import PER_ADDRESS, PER_LOGIN, Limit
from services.gateway.sign_in_settings import SignInConfigurationError, login_throttle, trusted_proxies

PROXIES = TrustedProxies.parse("10.0.0.0/8, 192.168.1.5 fd00::/8")
CLIENT = "203.0.113.7"

headers = st.lists(st.text(max_size=40), max_size=4)


@given(forwarded_for=headers)
def test_a_peer_that_is_no_trusted_proxy_is_the_client_whatever_the_header_says(forwarded_for):
    assert client_address(CLIENT, forwarded_for, PROXIES) == CLIENT


@given(forwarded_for=headers)
def test_without_trusted_proxies_the_header_is_never_read(forwarded_for):
    assert client_address("10.0.0.1", forwarded_for, TrustedProxies()) == "10.0.0.1"


def test_through_one_trusted_proxy_the_client_is_the_address_it_appended():
    assert client_address("10.0.0.1", [CLIENT], PROXIES) == CLIENT


def test_the_right_most_address_that_is_not_a_trusted_proxy_is_the_client_and_what_it_wrote_itself_is_ignored():
    # The client wrote "1.2.3.4" to pass for someone else; the two proxies appended the client, then each other.
    assert client_address("10.0.0.1", ["1.2.3.4, 203.0.113.7", "192.168.1.5, 10.0.0.2"], PROXIES) == CLIENT


@given(spoofed=st.lists(st.ip_addresses().map(str), max_size=5))
def test_whatever_a_client_writes_before_the_proxy_appends_its_address_the_client_is_that_address(spoofed):
    forwarded_for = [", ".join([*spoofed, CLIENT])]

    assert client_address("10.1.2.3", forwarded_for, PROXIES) == CLIENT


def test_a_trusted_proxy_without_the_header_is_itself_the_client():
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"


def test_a_chain_of_trusted_proxies_only_stops_at_the_left_most_of_them():
    assert client_address("10.0.0.1", ["10.0.0.3, 192.168.1.5"], PROXIES) == "10.0.0.3"


def test_garbage_right_of_the_client_stops_the_reading_at_the_last_address_a_proxy_vouched_for():
    assert client_address("10.0.0.1", ["203.0.113.7, not-an-address, 10.0.0.2"], PROXIES) == "10.0.0.2"


@pytest.mark.parametrize("written, client", [
    ("203.0.113.7:51234", CLIENT), ("[2001:db8::7]:443", "2001:db8::7"), ("[2001:db8::7]", "2001:db8::7"),
    ("2001:db8::7", "2001:db8::7"), ("::ffff:203.0.113.7", CLIENT),
])
def test_addresses_are_read_as_proxies_write_them(written, client):
    assert client_address("10.0.0.1", [written], PROXIES) == client


def test_an_ipv4_proxy_seen_through_an_ipv6_socket_is_still_trusted():
    assert client_address("::ffff:10.0.0.1", [CLIENT], PROXIES) == CLIENT


def test_a_request_without_a_peer_address_has_none():
    assert client_address(None, [CLIENT], PROXIES) is None


def test_the_proxy_list_takes_addresses_and_cidr_blocks_separated_by_commas_or_spaces():
    assert PROXIES.networks == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.168.1.5/32"),
                                ipaddress.ip_network("fd00::/8"))
    assert TrustedProxies.parse("  ").networks == ()


@pytest.mark.parametrize("text", ["10.0.0.0/33", "proxy.internal", "10.0.0.1/8/8"])
def test_a_proxy_list_entry_that_is_no_address_is_refused_naming_it(text):
    with pytest.raises(InvalidProxyList, match="neither an IP address nor a CIDR block"):
        TrustedProxies.parse(f"10.0.0.1, {text}")


# --- reading the settings from the gateway's config ---------------------------------------------------------

def test_settings_left_out_of_the_config_take_the_defaults():
    assert trusted_proxies({}) == TrustedProxies()
    assert login_throttle({}).limits == (PER_LOGIN, PER_ADDRESS)


def test_settings_from_the_environment_set_the_limits_and_the_proxies():
    config = {"GATEWAY_LOGIN_FAILURES_PER_LOGIN": "5", "GATEWAY_LOGIN_WINDOW_PER_LOGIN": "60",
              "GATEWAY_LOGIN_FAILURES_PER_ADDRESS": 40, "GATEWAY_LOGIN_WINDOW_PER_ADDRESS": "",
              "GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8"}

    assert login_throttle(config).limits == (Limit(5, 60), Limit(40, PER_ADDRESS.window_seconds))
    assert trusted_proxies(config).trusts(ipaddress.ip_address("10.9.8.7"))


def test_an_unusable_proxy_list_stops_the_gateway_naming_the_setting():
    with pytest.raises(SignInConfigurationError, match="GATEWAY_TRUSTED_PROXIES"):
        trusted_proxies({"GATEWAY_TRUSTED_PROXIES": "everyone"})


@pytest.mark.parametrize("name, value", [
    ("GATEWAY_LOGIN_FAILURES_PER_LOGIN", "0"), ("GATEWAY_LOGIN_FAILURES_PER_LOGIN", "2.5"),
    ("GATEWAY_LOGIN_FAILURES_PER_ADDRESS", "many"), ("GATEWAY_LOGIN_WINDOW_PER_LOGIN", "-60"),
    ("GATEWAY_LOGIN_WINDOW_PER_ADDRESS", "inf"), ("GATEWAY_LOGIN_WINDOW_PER_ADDRESS", "nan"),
])
def test_an_unusable_limit_stops_the_gateway_naming_the_setting(name, value):
    with pytest.raises(SignInConfigurationError, match=name):
        login_throttle({name: value})
