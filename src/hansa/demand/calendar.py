"""The market's holiday calendar: which hours fall on a public holiday of the market's country.

Days come from the `holidays` package (country, optionally a subdivision such as a US state),
plus any extra dates the merchant names (retail days such as the day after Thanksgiving are not
public holidays). A holiday is a local date, so an hour counts as a holiday hour when its time
in the market's time zone falls on one. An empty country means no holidays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from hansa.kernel.errors import InvalidData


@dataclass(frozen=True)
class HolidayCalendar:
    country: str = ""
    subdivision: str = ""
    timezone: str = "UTC"
    extra: frozenset[date] = frozenset()
    _days: Any = field(default=None, compare=False, repr=False)
    _zone: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidData(f"unknown time zone {self.timezone!r}",
                              code="invalid_holiday_calendar") from None
        object.__setattr__(self, "_zone", zone)
        if not self.country:
            return
        import holidays

        try:
            days = holidays.country_holidays(self.country.upper(),
                                             subdiv=self.subdivision or None)
        except NotImplementedError:
            raise InvalidData(f"no holiday calendar for {self.country!r}"
                              f"{'/' + self.subdivision if self.subdivision else ''}",
                              code="invalid_holiday_calendar") from None
        object.__setattr__(self, "_days", days)  # years are expanded on demand

    def is_holiday_date(self, day: date) -> bool:
        return day in self.extra or (self._days is not None and day in self._days)

    def is_holiday(self, at: datetime) -> bool:
        """Does `at` fall on a holiday in the market's time zone?"""
        return self.is_holiday_date(at.astimezone(self._zone).date())

    def name(self, at: datetime) -> str:
        day = at.astimezone(self._zone).date()
        if self._days is not None and day in self._days:
            return str(self._days.get(day))
        return "holiday" if day in self.extra else ""

    def mask(self, start: datetime, hours: int) -> np.ndarray:
        """One boolean per hour from `start`: is that hour on a holiday?"""
        out = np.zeros(hours, dtype=bool)
        if self._days is None and not self.extra:
            return out
        for h in range(hours):
            out[h] = self.is_holiday(start + timedelta(hours=h))
        return out


NO_HOLIDAYS = HolidayCalendar()


def calendar_from_settings(country: str, subdivision: str, timezone: str,
                           extra: Iterable[str] = ()) -> HolidayCalendar:
    """A calendar from settings; extra dates are ISO dates (YYYY-MM-DD)."""
    try:
        days = frozenset(date.fromisoformat(d.strip()) for d in extra if d.strip())
    except ValueError as exc:
        raise InvalidData(f"extra holiday dates: {exc}",
                          code="invalid_holiday_calendar") from None
    return HolidayCalendar(country=country.strip(), subdivision=subdivision.strip(),
                           timezone=timezone.strip() or "UTC", extra=days)
