"""The staff console (/console): Japanese, phone-friendly pages behind a login.

Extension point: another feature adds a page with its own blueprint (or views on `bp`) and
one `register_nav("/console/friends", "友だち数", "friends.page")`-style call; the base
template `console/base.html` shows every registered item in the navigation. Pages use
`@console_login_required` from web.auth and extend "console/base.html" (blocks `title`,
`content`). Forms are Flask-WTF forms (CSRF checked on every POST).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Flask

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/static",
)


@dataclass(frozen=True)
class NavItem:
    endpoint: str  # Flask endpoint, e.g. "console.broadcasts"
    label: str  # what staff read in the navigation


NAV: list[NavItem] = []


def register_nav(endpoint: str, label: str) -> None:
    """Add a page to the console navigation (once; order of registration)."""
    if all(item.endpoint != endpoint for item in NAV):
        NAV.append(NavItem(endpoint, label))


def init_app(app: Flask) -> None:
    from web.console import broadcasts, friends, pages, session_views  # noqa: F401  (views on bp)

    app.register_blueprint(bp)

    @app.context_processor
    def _nav() -> dict[str, object]:
        return {"console_nav": NAV}
