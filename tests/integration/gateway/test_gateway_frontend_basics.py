"""What a browser frontend relies on, over real HTTP: the interactive reference, X-Request-Id, CORS for the
configured origins, and that nothing a request carries (NUL, lone surrogates, huge numbers, deep JSON, a long
URI) turns into a 500."""
import json
import logging
import socket

import pytest

from shared.contracts import identity

from gateway_http_support import assert_error, make_people_page, make_principal

APP = "https://app.example.org"
SEARCH = "/api/v1/directory/people"


# --- the interactive reference ---

def test_the_interactive_reference_is_served_with_its_own_assets_and_no_cdn(gateway):
    page = gateway.get("/api/v1/docs")
    script = gateway.get("/api/v1/docs/swagger-ui-bundle.js")
    stylesheet = gateway.get("/api/v1/docs/swagger-ui.css")

    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert 'src="docs/swagger-ui-bundle.js"' in page.text and '"openapi.json"' in page.text
    assert "//" not in page.text.replace("<!DOCTYPE", "")  # every URL is relative: nothing from elsewhere
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.text
    assert stylesheet.status_code == 200 and stylesheet.headers["Content-Type"].startswith("text/css")
    gateway.identity.authenticate.assert_not_called()


# --- X-Request-Id ---

def test_a_request_id_sent_is_echoed(gateway):
    response = gateway.get("/health", headers={"X-Request-Id": "checkout-42.a"})

    assert response.headers["X-Request-Id"] == "checkout-42.a"


@pytest.mark.parametrize("sent", [None, "has spaces", "x" * 129, "<script>"])
def test_a_request_id_is_made_up_when_none_or_an_unusable_one_is_sent(gateway, sent):
    headers = {"X-Request-Id": sent} if sent is not None else {}

    answered = gateway.get("/health", headers=headers).headers["X-Request-Id"]

    assert answered != sent and len(answered) == 32 and int(answered, 16) >= 0


def test_failures_carry_the_request_id_too(gateway):
    response = gateway.get("/api/v1/nothing-here", headers={"X-Request-Id": "req-1"})

    assert_error(response, 404, "not_found")
    assert response.headers["X-Request-Id"] == "req-1"


def test_the_gateway_logs_each_request_with_its_id(gateway, caplog):
    caplog.set_level(logging.INFO, logger="services.gateway.access")

    gateway.get("/health", headers={"X-Request-Id": "req-logged"})

    [line] = [record for record in caplog.records if getattr(record, "request_id", None) == "req-logged"]
    assert (line.method, line.path, line.status) == ("GET", "/health", 200)


# --- CORS ---

@pytest.fixture
def cors_gateway(start_gateway):
    return start_gateway(GATEWAY_CORS_ORIGINS=f"{APP}, http://localhost:3000")


def test_an_allowed_origin_may_read_answers_with_credentials_and_the_headers_it_needs(cors_gateway):
    response = cors_gateway.get("/health", headers={"Origin": APP})

    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Request-Id" in response.headers["Access-Control-Expose-Headers"]
    assert "Origin" in response.headers["Vary"]


def test_another_origin_gets_no_cors_headers(cors_gateway):
    response = cors_gateway.get("/health", headers={"Origin": "https://evil.example.com"})

    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response.headers


def test_a_preflight_from_an_allowed_origin_names_the_methods_and_headers_it_may_send(cors_gateway):
    response = cors_gateway.request("OPTIONS", "/api/v1/people/p-1/preference", headers={
        "Origin": APP, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization, content-type"})

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert {"GET", "PUT"} <= set(response.headers["Access-Control-Allow-Methods"].split(", "))
    assert {"Authorization", "Content-Type", "X-Request-Id"} <= set(
        response.headers["Access-Control-Allow-Headers"].split(", "))
    cors_gateway.identity.authenticate.assert_not_called()


def test_a_preflight_from_another_origin_is_refused_in_the_error_shape(cors_gateway):
    response = cors_gateway.request("OPTIONS", SEARCH, headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"})

    assert list(assert_error(response, 403, "permission_denied")) == ["Origin"]
    assert "Access-Control-Allow-Origin" not in response.headers


def test_options_without_a_preflight_says_what_a_path_allows_and_an_unknown_path_is_not_found(gateway):
    assert gateway.request("OPTIONS", "/api/v1/schools").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert_error(gateway.request("OPTIONS", "/api/v1/nothing-here"), 404, "not_found")


def test_a_wildcard_origin_never_comes_with_credentials(start_gateway):
    gateway = start_gateway(GATEWAY_CORS_ORIGINS="*")

    response = gateway.get("/health", headers={"Origin": APP})

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_without_configured_origins_no_browser_origin_may_read_answers(gateway):
    assert "Access-Control-Allow-Origin" not in gateway.get("/health", headers={"Origin": APP}).headers


# --- nothing a request carries answers 500 ---

@pytest.fixture
def staff(gateway) -> dict:
    gateway.directory.search_people.return_value = make_people_page()
    return gateway.sign_in(make_principal(identity.DISTRICT_ADMIN))


def test_a_nul_in_a_search_term_is_refused_naming_it(gateway, staff):
    response = gateway.get(SEARCH, params={"query": "rey\x00"}, headers=staff)

    assert list(assert_error(response, 400, "invalid_request")) == ["query"]
    gateway.directory.search_people.assert_not_called()


def test_a_nul_in_a_path_id_is_refused_naming_it(gateway, staff):
    response = gateway.get("/api/v1/directory/students/student%00-1", headers=staff)

    assert list(assert_error(response, 400, "invalid_request")) == ["id"]
    gateway.directory.get_student_profile.assert_not_called()


@pytest.mark.parametrize("page", [str(2**63), str(2**64 + 1), "9" * 400])
def test_a_page_beyond_any_list_is_refused_naming_page(gateway, staff, page):
    response = gateway.get(SEARCH, params={"page": page}, headers=staff)

    assert list(assert_error(response, 400, "invalid_request")) == ["page"]


def test_json_nested_a_thousand_deep_is_refused(gateway, staff):
    response = gateway.post("/api/v1/announcements", data=b'{"audience": ' + b"[" * 1000 + b"]" * 1000 + b"}",
                            headers={**staff, "Content-Type": "application/json"})

    assert_error(response, 400, "invalid_request")
    gateway.notify.send_announcement.assert_not_called()


@pytest.mark.parametrize("raw", [b'{"login": "dana@example.org", "password": "\\ud83d"}',
                                 b'{"login": "dana@example.org", "password": "\xed\xa0\x80"}'])
def test_a_lone_surrogate_in_a_password_is_refused_naming_it(gateway, raw):
    response = gateway.post("/api/v1/auth/login", data=raw, headers={"Content-Type": "application/json"})

    assert set(assert_error(response, 400, "invalid_request")) <= {"password", "body"}
    gateway.identity.login.assert_not_called()


def test_a_nul_in_an_announcement_subject_is_refused_naming_it(gateway, staff):
    response = gateway.post("/api/v1/announcements", headers=staff, json={
        "audience": {"school_id": "school-1"}, "subject": "Snow\x00day", "body": "Closed."})

    assert list(assert_error(response, 400, "invalid_request")) == ["subject"]


def raw_answer(gateway, request: str) -> tuple[bytes, bytes]:
    """Send `request` as bytes on a socket of its own (no client library would send it) and read to the end."""
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request.replace("{host}", host).encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head, body


def test_an_over_long_uri_answers_414_in_the_error_shape(gateway):
    head, body = raw_answer(gateway, f"GET /api/v1/directory/people?query={'a' * 9000} HTTP/1.1\r\n"
                                     "Host: {host}\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 414 ")
    assert b"Content-Type: application/json" in head and b"X-Request-Id: " in head
    assert json.loads(body)["error"]["code"] == "request_uri_too_long"


@pytest.mark.parametrize("headers, says", [
    ("X-Note: " + "a" * 9000 + "\r\n", b"a header line is longer"),
    ("".join(f"X-Note-{n}: {'a' * 4000}\r\n" for n in range(20)), b"the headers are longer"),
])
def test_over_long_headers_answer_431_in_the_error_shape(gateway, headers, says):
    head, body = raw_answer(gateway, "GET /api/v1/me HTTP/1.1\r\nHost: {host}\r\n" + headers + "\r\n")

    assert head.startswith(b"HTTP/1.1 431 ")
    assert b"Content-Type: application/json" in head and b"X-Request-Id: " in head
    assert json.loads(body)["error"]["code"] == "request_header_fields_too_large" and says in body
