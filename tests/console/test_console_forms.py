"""The new-broadcast form without a browser: repeating schedules and refusals."""

from __future__ import annotations

from sqlalchemy import select

from bot.broadcasts.models import Broadcast
from bot.scheduler import TZ
from tests.staff.test_staff import add, csrf, login


def submit(client, **fields):
    token = csrf(client.get("/console/broadcasts/new").get_data(as_text=True))
    return client.post("/console/broadcasts/new", data={"csrf_token": token, **fields})


def test_weekly_on_monday_at_nine_tokyo_time(runner, client, services):
    add(runner)
    login(client)
    response = submit(
        client,
        text="毎週のお知らせ",
        **{"seg-area": "oyama"},
        timing="weekly",
        weekday="0",
        time="09:00",
    )
    assert response.status_code == 302
    with services.db.session() as session:
        row = session.scalars(select(Broadcast)).one()
    local = row.send_at.astimezone(TZ)
    assert (row.repeat, local.weekday(), local.hour, local.minute) == ("weekly", 0, 9, 0)
    assert row.segment == {"area": ["oyama"]}


def test_bad_time_and_missing_text_are_explained(runner, client, services):
    add(runner)
    login(client)
    bad = submit(
        client, text="x", **{"seg-area": "oyama"}, timing="monthly", monthday="3", time="25:99"
    )
    assert bad.status_code == 400 and "時刻は 09:00" in bad.get_data(as_text=True)
    empty = submit(client, text="", timing="now")
    assert empty.status_code == 400 and "本文を入力してください" in empty.get_data(as_text=True)
    with services.db.session() as session:
        assert session.scalars(select(Broadcast)).all() == []
