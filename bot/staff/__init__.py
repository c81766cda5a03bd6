"""Staff accounts, API tokens, roles and the audit log (no Flask here).

Extension points for other features (e.g. the friend-count page):

- `bot.staff.accounts`: `add_staff`, `authenticate` (with lockout), `issue_token`,
  `staff_for_token`, `Role` (`editor` drafts, `approver` may also send to everyone).
- `bot.staff.audit.record(session, actor, action, target, **detail)`: one line per staff
  action; the console's 操作履歴 page lists them.
- The Flask side lives in `web/auth.py` (`api_auth(role=None)` for Bearer-token JSON routes,
  `console_login_required` for pages) and `web/console/` (`register_nav(...)` adds a page
  to the console's navigation).
"""

from bot.staff.models import AuditEntry, StaffAccount, StaffToken

__all__ = ["AuditEntry", "StaffAccount", "StaffToken"]
