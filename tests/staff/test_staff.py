"""Staff accounts through the CLI and the console login (sessions, CSRF, lockout)."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.staff.models import AuditEntry, StaffAccount, StaffToken

PASSWORD = "correct horse battery"


def add(runner, name="sato", role="editor", password=PASSWORD):
    return runner.invoke(
        args=["staff", "add", name, "--password-stdin", "--role", role], input=password + "\n"
    )


def test_add_hashes_the_password_and_token_is_the_last_line(runner, services):
    result = add(runner)
    assert result.exit_code == 0, result.output
    with services.db.session() as session:
        account = session.scalars(select(StaffAccount)).one()
        assert account.role == "editor"
        assert PASSWORD not in account.password_hash
        assert account.password_hash.startswith("$argon2id$")
    result = runner.invoke(args=["staff", "token", "sato"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert len(token) >= 40
    with services.db.session() as session:
        stored = session.scalars(select(StaffToken)).one()
        assert token not in stored.token_hash


def test_add_refuses_bad_input_with_a_clear_message(runner):
    assert "at least 10" in add(runner, password="short").output
    assert add(runner).exit_code == 0
    again = add(runner)
    assert again.exit_code != 0 and "already exists" in again.output
    assert "no staff account" in runner.invoke(args=["staff", "token", "nobody"]).output


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, html
    return match.group(1)


def login(client, name="sato", password=PASSWORD):
    page = client.get("/console/login")
    token = csrf(page.get_data(as_text=True))
    return client.post(
        "/console/login", data={"name": name, "password": password, "csrf_token": token}
    )


def test_console_needs_login_and_logs_in(runner, client, services):
    add(runner)
    assert client.get("/console/audit").status_code == 302
    response = login(client)
    assert response.status_code == 302
    page = client.get("/console/audit").get_data(as_text=True)
    assert "操作履歴" in page and "login" in page
    with services.db.session() as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["login"]


def test_login_without_csrf_token_is_refused(runner, client):
    add(runner)
    response = client.post("/console/login", data={"name": "sato", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/console/audit").status_code == 302


def test_repeated_failures_lock_the_account(runner, client):
    add(runner)
    for _ in range(4):
        assert login(client, password="wrong password!").status_code == 401
    locked = login(client, password="wrong password!")
    assert locked.status_code == 429
    assert "しばらくログインできません" in locked.get_data(as_text=True)
    # Even the right password is refused while locked.
    assert login(client).status_code == 429


def test_dev_account_exists_only_in_development(runner, app, services):
    result = runner.invoke(args=["staff", "dev-account"])
    assert result.exit_code != 0 and "development" in result.output
    from dataclasses import replace

    services.settings = replace(services.settings, development=True)
    result = runner.invoke(args=["staff", "dev-account"])
    assert result.exit_code == 0 and "dev / development-password" in result.output
    assert runner.invoke(args=["staff", "dev-account"]).exit_code == 0  # idempotent
    with services.db.session() as session:
        assert session.scalars(select(StaffAccount.role)).all() == ["approver"]
