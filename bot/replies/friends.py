"""The answer to 「友だちは何人？」: the latest friend count and the target with its date."""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot.friendcount.report import Report
from bot.friendcount.targets import Targets
from bot.friendcount.wording import jdate, number
from bot.replies.kit import ReplyKit


class FriendCountReplies(ReplyKit):
    """Wording in content/replies/friends.yaml (keys friends.answer.*)."""

    def friend_count(self, report: Report, targets: Targets) -> list[Message]:
        lines = []
        if report.latest is None or report.followers is None:
            lines.append(self.t("friends.answer.no_data"))
        else:
            lines.append(
                self.t(
                    "friends.answer.count",
                    as_of=jdate(report.latest.day),
                    followers=number(report.followers),
                )
            )
        target = report.target
        facts = {
            "label": target.label,
            "deadline": jdate(target.deadline),
            "target": number(target.followers),
        }
        if not report.all_targets_past:
            lines.append(self.t("friends.answer.target", **facts))
        else:
            result = next(r for r in report.targets if r.target == target)
            if result.met is True:
                lines.append(self.t("friends.answer.target.met", **facts))
            elif result.met is False:
                lines.append(
                    self.t("friends.answer.target.missed", **facts, actual=number(result.actual))
                )
            else:
                lines.append(self.t("friends.answer.target.unjudged", **facts))
        lines.append(self.t("friends.answer.thanks"))
        lines.append(
            self.t("friends.answer.source", source=targets.source, indicator=targets.indicator)
        )
        actions = [self.act_initiative(i) for i in self.optional_initiative("1-5")]
        return self.text("\n".join(lines), actions)
