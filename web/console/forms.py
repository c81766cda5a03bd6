"""Flask-WTF forms of the console (each carries and checks its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    name = StringField("ユーザー名", validators=[DataRequired("ユーザー名を入力してください。")])
    password = PasswordField(
        "パスワード", validators=[DataRequired("パスワードを入力してください。")]
    )


class LineIdForm(FlaskForm):
    line_user_id = StringField(
        "自分の LINE ユーザーID（テスト送信先）", validators=[Length(max=64)]
    )


class ActionForm(FlaskForm):
    """A button-only form (cancel, copy …): nothing but the CSRF token."""


WEEKDAYS = ["月", "火", "水", "木", "金", "土", "日"]


class BroadcastForm(FlaskForm):
    """A new broadcast. Segment checkboxes are named seg-<attribute> (read in the view)."""

    text = TextAreaField(
        "本文",
        validators=[
            DataRequired("本文を入力してください。"),
            Length(max=5000, message="本文は5,000文字までです。"),
        ],
    )
    timing = RadioField(
        "配信日時",
        choices=[
            SelectChoice("now", "今すぐ"),
            SelectChoice("once", "日時を指定"),
            SelectChoice("weekly", "毎週"),
            SelectChoice("monthly", "毎月"),
        ],
        default="now",
    )
    once_at = StringField("日時")
    # Checked in the view (only the one the chosen timing uses matters).
    weekday = SelectField(
        "曜日",
        choices=[SelectChoice(str(i), f"{d}曜日") for i, d in enumerate(WEEKDAYS)],
        validate_choice=False,
    )
    monthday = SelectField(
        "日", choices=[SelectChoice(str(d), f"{d}日") for d in range(1, 29)], validate_choice=False
    )
    time = StringField("時刻", default="09:00")
