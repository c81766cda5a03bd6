"""Browsing the plan: the basic policies (carousel) and the initiatives of one policy."""

from __future__ import annotations

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexComponent,
    FlexText,
    Message,
)

from bot.content import Initiative
from bot.postback import BrowsePolicy
from bot.replies.kit import MUTED, TEXT, WHITE, ReplyKit, memo


class BrowseReplies(ReplyKit):
    """「一覧」 and one basic policy's initiatives."""

    @memo
    def browse_policies(self) -> list[Message]:
        """「一覧」: the basic policies as a carousel, one bubble each."""
        policies = self.plan.policies
        bubbles = [self._policy_bubble(p.number) for p in policies]
        lines = [self.t("browse.policies.intro", count=len(policies))]
        lines += [self.t("initiative.policy", number=p.number, title=p.title) for p in policies]
        actions = [self.act_policy(p.number) for p in policies]
        return self.flex("\n".join(lines), FlexCarousel(contents=bubbles), actions)

    def _policy_bubble(self, number: int) -> FlexBubble:
        policy = self.plan.policy(number)
        color = self.policy_color(number)
        count = len(self.plan.initiatives_of(number))
        header = FlexBox(
            layout="vertical",
            backgroundColor=color,
            contents=[
                FlexText(
                    text=self.t("label.policy", number=number),
                    color=WHITE,
                    weight="bold",
                    size="md",
                )
            ],
        )
        body = FlexBox(
            layout="vertical",
            spacing="md",
            contents=[
                FlexText(text=policy.title, weight="bold", size="md", color=TEXT, wrap=True),
                FlexText(text=self.t("browse.policy.count", count=count), size="sm", color=MUTED),
            ],
        )
        button = FlexButton(
            action=self._postback(
                BrowsePolicy(number),
                self.t("label.open_policy"),
                self.t("display.policy", number=number),
            ),
            style="primary",
            color=color,
            height="sm",
        )
        footer = FlexBox(layout="vertical", contents=[button])
        return FlexBubble(size="kilo", header=header, body=body, footer=footer)

    @memo
    def browse_policy(self, number: int) -> list[Message]:
        """The initiatives of one basic policy; each row opens that initiative."""
        if number not in {p.number for p in self.plan.policies}:
            return self.browse_policies()
        policy = self.plan.policy(number)
        color = self.policy_color(number)
        inis = self.plan.initiatives_of(number)
        rows: list[FlexComponent] = [self._policy_row(i, color) for i in inis]
        header = FlexBox(
            layout="vertical",
            spacing="sm",
            backgroundColor=color,
            contents=[
                FlexText(text=self.t("label.policy", number=number), size="sm", color=WHITE),
                FlexText(text=policy.title, size="md", weight="bold", color=WHITE, wrap=True),
            ],
        )
        body = FlexBox(
            layout="vertical",
            spacing="sm",
            contents=[self._para(self.t("browse.policy.intro"), "xs", MUTED), *rows],
        )
        bubble = FlexBubble(size="mega", header=header, body=body)
        items = self.join(f"{i.id} {i.title}" for i in inis)
        alt = self.t("browse.policy.alt", number=number, title=policy.title, items=items)
        others = [self.act_policy(p.number) for p in self.plan.policies if p.number != number]
        return self.flex(alt, bubble, [*others, self.act_list()])

    def _policy_row(self, ini: Initiative, color: str) -> FlexBox:
        title = " ".join([ini.title, *self.marks(ini)])
        return FlexBox(
            layout="horizontal",
            spacing="md",
            paddingTop="8px",
            paddingBottom="8px",
            action=self.act_initiative(ini),
            contents=[
                FlexText(text=ini.id, size="sm", weight="bold", color=color, flex=0),
                FlexText(text=title, size="sm", color=TEXT, wrap=True, flex=1),
                FlexText(text="›", size="sm", color=MUTED, flex=0, gravity="center"),
            ],
        )
