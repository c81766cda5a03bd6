"""Flask-WTF forms of the console (each carries and checks its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
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
