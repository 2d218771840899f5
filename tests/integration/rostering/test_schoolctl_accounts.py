import pytest
from typer.testing import CliRunner

from schoolctl.main import app

pytestmark = pytest.mark.postgres

ADMIN = "admin@lincoln.example.org"

@pytest.fixture
def set_password(rostering_config, running_services, operator_credential):
    """`schoolctl accounts set-password ARGS...` with `stdin`, against the identity stand-in."""
    def invoke(*args: str, stdin: str = "", credential: tuple[str, str] | None = operator_credential):
        client_id, secret = credential or ("", "")
        env = {"SCHOOLCTL_CLIENT_ID": client_id, "SCHOOLCTL_CLIENT_SECRET": secret}
        return CliRunner().invoke(app, ["accounts", "set-password", *args, "--amqp-uri",
                                        rostering_config["AMQP_URI"]], input=stdin, env=env)

    return invoke


def test_password_from_stdin_is_set_without_its_line_ending(set_password, recorder):
    result = set_password(ADMIN, "--password-stdin", stdin="correct horse battery\n")

    assert result.exit_code == 0, result.output
    assert recorder.passwords == {ADMIN: "correct horse battery"}
    assert f"Password set for {ADMIN}; every session it had is signed out." in result.output


def test_password_is_prompted_twice_when_not_piped(set_password, recorder):
    result = set_password(ADMIN, stdin="correct horse battery\ncorrect horse battery\n")

    assert result.exit_code == 0, result.output
    assert "New password" in result.output and "Repeat for confirmation" in result.output
    assert recorder.passwords == {ADMIN: "correct horse battery"}


def test_too_short_password_exits_65_with_the_reason(set_password, recorder):
    result = set_password(ADMIN, "--password-stdin", stdin="short\n")

    assert result.exit_code == 65
    assert "password" in result.output and recorder.passwords == {}


def test_unknown_login_exits_67(set_password):
    result = set_password("nobody@example.org", "--password-stdin", stdin="correct horse battery\n")

    assert result.exit_code == 67
    assert "No account has the login nobody@example.org" in result.output


def test_empty_stdin_exits_64(set_password, recorder):
    result = set_password(ADMIN, "--password-stdin", stdin="")

    assert result.exit_code == 64 and recorder.passwords == {}


def test_without_an_operator_credential_exits_77_and_says_how_to_get_one(set_password, recorder):
    result = set_password(ADMIN, "--password-stdin", stdin="correct horse battery\n", credential=None)

    assert result.exit_code == 77 and recorder.passwords == {}
    assert "schoolctl services add operator --scopes accounts:manage" in result.output


def test_a_credential_identity_refuses_exits_77(set_password, recorder):
    result = set_password(ADMIN, "--password-stdin", stdin="correct horse battery\n",
                          credential=("operator-1", "a guessed secret"))

    assert result.exit_code == 77 and recorder.passwords == {}
    assert "identity refused the operator credential operator-1" in result.output
