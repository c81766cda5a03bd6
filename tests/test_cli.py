"""CLI commands through Flask's runner: ask, content check, db upgrade, events run, richmenu."""

from __future__ import annotations

import json

from tests import builders


def test_ask_prints_the_full_initiative_text(runner):
    result = runner.invoke(args=["ask", "マイナンバーカードの交付率の目標"])
    assert result.exit_code == 0, result.output
    out = result.output
    for expected in (
        "1-2",
        "マイナンバーカードの交付促進",
        "64.8%",
        "100%",
        "戸籍住民課",
        "期待効果",
    ):
        assert expected in out


def test_ask_jsonl_keeps_its_documented_shape_and_order(runner):
    questions = ["マイナンバーカードとは", "今日の天気は？", "取組3-4の予定", "こんにちは"]
    result = runner.invoke(args=["ask", "--jsonl"], input="\n".join(questions) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["question"] for r in rows] == questions
    for row in rows:
        assert set(row) == {"question", "confident", "answers", "text"}
        assert isinstance(row["confident"], bool) and isinstance(row["text"], str)
        assert len(row["answers"]) <= 5
        for answer in row["answers"]:
            assert set(answer) == {"kind", "id", "title", "score"}
            assert answer["kind"] in {"initiative", "term"}
    term, weather, drone, hello = rows
    assert term["confident"] and term["answers"][0] == {
        **term["answers"][0],
        "kind": "term",
        "id": "マイナンバーカード",
    }
    assert not weather["confident"]
    assert drone["confident"] and drone["answers"][0]["id"] == "3-4"
    assert "実証実験" in drone["text"]
    assert not hello["confident"] and hello["text"]


def test_ask_jsonl_text_opens_with_the_answer_sentence(runner):
    questions = [
        "令和6年度のマイナンバーカードの交付率の目標は？",
        "マイナンバーカードの暗証番号を忘れた",
    ]
    result = runner.invoke(args=["ask", "--jsonl"], input="\n".join(questions) + "\n")
    assert result.exit_code == 0, result.output
    figure, near = [json.loads(line) for line in result.output.splitlines() if line[:1] == "{"]
    assert figure["confident"] and figure["answers"][0]["id"] == "1-2"
    assert figure["text"].startswith(
        "令和6年度の「マイナンバーカードの交付率」の目標は90%です（令和4年度2月末時点 64.8%）。"
    )
    assert "【取組 1-2】" in figure["text"]  # then the full text
    assert not near["confident"]
    assert near["answers"][0]["id"] == "1-2"  # the related initiative
    assert "載っていません" in near["text"] and "戸籍住民課" in near["text"]


def test_ask_without_a_question_is_a_clear_usage_error(runner):
    result = runner.invoke(args=["ask"])
    assert result.exit_code != 0 and "QUESTION" in result.output


def test_content_check_prints_a_summary(runner):
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "取組 34件" in result.output and "用語 40件" in result.output


def test_db_upgrade_is_idempotent(runner):
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def test_events_run_handles_pending_events(client, runner, line_api):
    token = line_api.issue_reply_token("U" + "f" * 32)
    raw = builders.body(builders.text("U" + "f" * 32, "ドローンとは", token))
    client.post(
        "/callback",
        data=raw.encode(),
        headers={"X-Line-Signature": builders.sign("test-channel-secret", raw)},
    )
    result = runner.invoke(args=["events", "run"])
    assert result.exit_code == 0
    assert [r["replyToken"] for r in line_api.replies()] == [token]


def test_richmenu_deploy_creates_uploads_and_sets_default(runner, line_api):
    result = runner.invoke(args=["richmenu", "deploy"])
    assert result.exit_code == 0, result.output
    menu_id = line_api.default_rich_menu_id
    assert menu_id and menu_id in result.output
    content_type, image = line_api.rich_menu_image(menu_id)
    assert content_type == "image/png" and image.startswith(b"\x89PNG")


def test_richmenu_deploy_reports_line_errors_clearly(runner, line_api):
    line_api.fail_next(1, status=401, body={"message": "Authentication failed"})
    result = runner.invoke(args=["richmenu", "deploy"])
    assert result.exit_code == 1
    assert "Authentication failed" in result.output


def test_db_upgrade_reports_an_unreachable_database_clearly(services, content):
    from dataclasses import replace

    import handlers
    from app import create_app
    from bot.services import Services

    unreachable = Services(
        replace(services.settings, database_url="postgresql+psycopg://postgres@127.0.0.1:1/x"),
        routers=handlers.ROUTERS,
    )
    unreachable.__dict__.update(content)
    result = create_app(services=unreachable).test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "the database is unavailable" in result.output
    assert "Traceback" not in result.output
