"""The app factory, configuration from the environment, and /healthz."""

from __future__ import annotations

import json

import pytest

from app import create_app
from bot.config import ConfigError, Settings
from bot.services import Services


def test_missing_line_secrets_stop_start_up_with_a_clear_message():
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"DATABASE_URL": "sqlite:///:memory:"})
    message = str(info.value)
    assert "LINE_CHANNEL_SECRET" in message and "LINE_CHANNEL_ACCESS_TOKEN" in message


def test_development_mode_runs_without_a_channel_and_talks_to_the_simulator():
    settings = Settings.from_env({"APP_ENV": "development", "PORT": "5123"})
    assert settings.simulator
    assert settings.line_api_base_url == "http://127.0.0.1:5123/_line"
    assert settings.channel_secret and settings.channel_access_token


def test_environment_settings_are_read():
    settings = Settings.from_env(
        {
            "LINE_CHANNEL_SECRET": "s",
            "LINE_CHANNEL_ACCESS_TOKEN": "t",
            "LINE_API_BASE_URL": "https://line.example/",
            "LINE_API_DATA_BASE_URL": "https://data.line.example",
            "DATABASE_URL": "postgres://u@h/db",
            "SECRET_KEY": "k",
        }
    )
    assert settings.line_api_base_url == "https://line.example"
    assert settings.line_api_data_base_url == "https://data.line.example"
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.secret_key == "k" and not settings.simulator


def test_defaults_point_at_line_and_only_development_falls_back_to_sqlite():
    env = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
    with pytest.raises(ConfigError) as info:
        _ = Services(Settings.from_env(env)).db  # the web, worker and scheduler open it first
    assert "DATABASE_URL" in str(info.value)
    settings = Settings.from_env({**env, "DATABASE_URL": "postgresql://u@h/db"})
    assert settings.line_api_base_url == "https://api.line.me"
    assert settings.line_api_data_base_url == "https://api-data.line.me"
    dev = Settings.from_env({**env, "APP_ENV": "development", "SIMULATOR": "0"})
    assert dev.database_url.startswith("sqlite:///") and "instance" in dev.database_url


def test_ask_needs_no_database(tmp_path, monkeypatch):
    """`ask --jsonl` answers from content alone: no DATABASE_URL, nothing written."""
    monkeypatch.chdir(tmp_path)
    env = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
    app = create_app(Settings.from_env(env))
    result = app.test_cli_runner().invoke(
        args=["ask", "--jsonl"], input="マイナンバーカードの交付率の目標は？\n明日の天気は？\n"
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["question"] for line in lines] == [
        "マイナンバーカードの交付率の目標は？",
        "明日の天気は？",
    ]
    assert lines[0]["confident"] and lines[0]["answers"][0]["id"] == "1-2"
    assert not lines[1]["confident"]


@pytest.mark.parametrize(
    "args",
    [["events", "prune"], ["broadcasts", "run-due"], ["friends", "report"], ["db", "upgrade"]],
)
def test_a_command_needing_the_database_says_what_is_missing(tmp_path, monkeypatch, args):
    """Without DATABASE_URL a command that opens the database stops with the message and exit
    status 1, not a traceback."""
    monkeypatch.chdir(tmp_path)
    env = {"LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
    app = create_app(Settings.from_env(env))
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert "DATABASE_URL" in result.output
    assert not isinstance(result.exception, ConfigError)  # handled, not raised


def test_flask_debug_does_not_switch_on_development_mode():
    """`flask --debug` / FLASK_DEBUG=1 only turn on Flask's debugger: no throwaway secrets,
    no simulator, no SQLite fallback. APP_ENV=development is the one switch."""
    with pytest.raises(ConfigError):
        Settings.from_env({"FLASK_DEBUG": "1", "DATABASE_URL": "sqlite:///:memory:"})
    env = {"FLASK_DEBUG": "1", "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t"}
    settings = Settings.from_env({**env, "DATABASE_URL": "sqlite:///:memory:"})
    assert not settings.development and not settings.simulator


def test_create_app_from_environment_fails_clearly_without_secrets(monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_SECRET", raising=False)
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_healthz_reports_ready_database_and_content(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["initiatives"] == 34 and body["terms"] == 40


def test_healthz_is_503_when_the_database_is_missing(services, tmp_path, content):
    from dataclasses import replace

    import handlers
    from bot.services import Services

    broken = Services(
        replace(services.settings, database_url=f"sqlite:///{tmp_path}/empty.sqlite3"),
        routers=handlers.ROUTERS,
    )
    broken.__dict__.update(content)
    response = create_app(services=broken).test_client().get("/healthz")
    assert response.status_code == 503
