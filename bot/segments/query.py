"""Who a segment reaches: options within one attribute OR, attributes AND.

An empty segment is every friend; a friend who did not declare a filtered attribute is not
a recipient; only current friends who have not stopped delivery (配信停止) are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session

from bot.models import Friend, FriendState
from bot.segments.models import DeliveryPreference, FriendAttribute
from bot.segments.vocabulary import Vocabulary

Segment = dict[str, list[str]]


class SegmentError(ValueError):
    """A segment names an unknown attribute or option; the message is for staff (Japanese)."""


def validate(raw: Any, vocabulary: Vocabulary) -> Segment:
    """A clean segment from JSON (attribute id -> option ids); raises SegmentError."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SegmentError("segment は {属性ID: [選択肢ID, …]} の形のオブジェクトにしてください。")
    segment: Segment = {}
    for key, values in raw.items():
        attribute = vocabulary.by_id.get(key)
        if attribute is None:
            known = ", ".join(vocabulary.by_id)
            raise SegmentError(f"segment の属性「{key}」はありません（使えるのは {known}）。")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SegmentError(f"segment.{key} は選択肢IDの配列にしてください。")
        unknown = [v for v in values if v not in attribute.option_ids]
        if unknown:
            raise SegmentError(f"segment.{key} に無い選択肢です：{', '.join(unknown)}")
        if values:  # [] means "no filter on this attribute"
            segment[key] = sorted(set(values))
    return segment


def recipients(segment: Segment) -> Select[tuple[int, str]]:
    """SELECT friend id and LINE user id of every recipient, in id order."""
    stopped = exists().where(
        DeliveryPreference.friend_id == Friend.id, DeliveryPreference.stopped_at.is_not(None)
    )
    conditions = [Friend.state == FriendState.FRIEND, ~stopped]
    for attribute, options in sorted(segment.items()):
        conditions.append(
            exists().where(
                and_(
                    FriendAttribute.friend_id == Friend.id,
                    FriendAttribute.attribute == attribute,
                    FriendAttribute.option.in_(options),
                )
            )
        )
    return select(Friend.id, Friend.line_user_id).where(*conditions).order_by(Friend.id)


def count(session: Session, segment: Segment) -> int:
    inner = recipients(segment).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(inner)) or 0


def describe(segment: Segment, vocabulary: Vocabulary) -> str:
    """「地区：伊勢原・大山 / 関心：子育て」, or 「全員」 for an empty segment (staff read it)."""
    if not segment:
        return "友だち全員"
    parts = []
    for key, options in segment.items():
        attribute = vocabulary.by_id[key]
        parts.append(f"{attribute.label}：" + "・".join(attribute.label_of(o) for o in options))
    return " / ".join(parts)
