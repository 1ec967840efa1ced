"""Stations: an organisation's places where riders rest, charge their phones and
come to training."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Organisation
from lms.db import Base, utcnow


class Facility(enum.StrEnum):
    """What a station offers a rider; a fixed set, so riders can compare stations."""

    DRINKING_WATER = "drinking_water"
    PHONE_CHARGING = "phone_charging"
    REST_AREA = "rest_area"
    MICROWAVE = "microwave"
    TOILETS = "toilets"


class Station(Base):
    """A place of one organisation, named in both languages."""

    __tablename__ = "lms_station"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("lms_organisation.id", ondelete="CASCADE"), index=True
    )
    name_zh: Mapped[str] = mapped_column(String(80))
    #: empty when the station has no English name (pages then show the Chinese one)
    name_en: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(40), index=True)
    opening_hours: Mapped[str] = mapped_column(String(80))
    #: Facility values, in the order of the Facility enum
    facilities: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    def name(self, locale: str) -> str:
        """The station's name in ``locale``, the Chinese one when there is no English."""
        return (self.name_en if locale == "en" else "") or self.name_zh
