"""What a citizen declared for segment delivery: consent/stop state and attribute choices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models import Base, UTCDateTime, utcnow


class DeliveryPreference(Base):
    """One row per friend who went through 配信設定 (consent) or stopped delivery."""

    __tablename__ = "delivery_preferences"

    friend_id: Mapped[int] = mapped_column(
        ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True
    )
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set: no delivery
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FriendAttribute(Base):
    """One chosen option (attribute id + option id from content/segments.yaml)."""

    __tablename__ = "friend_attributes"
    __table_args__ = (Index("ix_friend_attributes_attribute_option", "attribute", "option"),)

    friend_id: Mapped[int] = mapped_column(
        ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True
    )
    attribute: Mapped[str] = mapped_column(String(32), primary_key=True)
    option: Mapped[str] = mapped_column(String(32), primary_key=True)
