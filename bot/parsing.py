"""Parsing of what people type. Every failure is a UserError that says what was wrong and the right form."""

from __future__ import annotations

import difflib
import re
import shlex
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.errors import UserError

EVENT_NAME_LIMIT = 100
OPTION_LIMIT = 40
MAX_OPTIONS = 20
BROADCAST_LIMIT = 3000
NEWEVENT_USAGE = '/newevent "HR Tweetup London" 2026-12-10 18:30 Europe/London'


def shorten(value: str, limit: int = 40) -> str:
    """A safe excerpt of user input to quote back in an error."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def split_args(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:
        raise UserError('A quote is not closed. Put the event name in straight double quotes: "Name".') from None


def event_name(value: str) -> str:
    name = " ".join(value.split())
    if not name:
        raise UserError("The event needs a name.")
    if len(name) > EVENT_NAME_LIMIT:
        raise UserError(f"Event names can be at most {EVENT_NAME_LIMIT} characters; yours has {len(name)}.")
    return name


def event_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"“{shorten(value)}” is not a date I can read. Use YYYY-MM-DD, e.g. 2026-12-10.") from None


def event_time(value: str) -> time:
    raw = value.strip()
    try:
        parsed = time.fromisoformat(raw)
    except ValueError:
        parsed = None
    if parsed is None or len(raw) != 5:
        raise UserError(f"“{shorten(value)}” is not a time I can read. Use 24-hour HH:MM, e.g. 18:30.")
    return parsed


WITHOUT_REGION = frozenset({"UTC", "GMT"})  # other names without a region are abbreviations (EST, CET): refused
ETC_OFFSET = re.compile(r"Etc/GMT([+-])(\d{1,2})")


def time_zone(value: str) -> ZoneInfo:
    """An IANA zone, whatever its case (europe/london is Europe/London); for a name it does not know, the closest
    ones it does (London: did you mean Europe/London?)."""
    raw = value.strip()
    name = _zones().get(raw.casefold())
    if name is None or ("/" not in name and name not in WITHOUT_REGION):
        hint = _suggest(raw)
        raise UserError(
            f"“{shorten(raw)}” is not a time zone I know."
            + (f" Did you mean {' or '.join(hint)}?" if hint else "")
            + " Use an IANA name such as Europe/London, America/New_York or Asia/Tokyo."
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"“{shorten(raw)}” is not a time zone I know.") from None


def zone_note(name: str) -> str | None:
    """What a zone name means when it reads the other way round: POSIX-style Etc/GMT+5 is UTC−5."""
    found = ETC_OFFSET.fullmatch(name)
    if found is None or found.group(2) == "0":
        return None
    sign = "−" if found.group(1) == "+" else "+"
    return f"{name} means UTC{sign}{int(found.group(2))} (the sign of Etc/GMT names is reversed)"


def _suggest(raw: str) -> list[str]:
    """Up to three known zones close to ``raw``: a city's own zone first (London → Europe/London), else the
    nearest names by difflib's similarity."""
    key = raw.casefold().replace(" ", "_")
    if not key or len(key) > 60:
        return []
    zones = _zones()
    regional = [name for name in zones.values() if "/" in name]
    cities = sorted(name for name in regional if name.casefold().rsplit("/", 1)[-1] == key)
    if cities:
        return cities[:3]
    by_city = {name.casefold().rsplit("/", 1)[-1]: name for name in regional}
    close = difflib.get_close_matches(key, list(by_city), n=3, cutoff=0.8)
    if close:
        return [by_city[city] for city in close]
    return [zones[k] for k in difflib.get_close_matches(key, [n.casefold() for n in regional], n=3, cutoff=0.75)]


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Every zone this machine knows, by its case-folded name."""
    return {name.casefold(): name for name in available_timezones() | {"UTC"}}


def event_start(day: date, at: time, zone: ZoneInfo, now: datetime) -> datetime:
    """The event's start in UTC; it must be in the future."""
    local = datetime.combine(day, at, tzinfo=zone)
    start = local.astimezone(UTC)
    if start.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise UserError(
            f"{at.strftime('%H:%M')} doesn't exist on {day.isoformat()} in {zone.key}: the clocks jump "
            "forward then. Pick another time."
        )
    if start <= now:
        raise UserError(
            f"{day.isoformat()} {at.strftime('%H:%M')} in {zone.key} has already passed. Pick a future date."
        )
    return start


def poll_options(value: str) -> list[str]:
    separator = "," if "," in value else "\n"
    options = [" ".join(part.split()) for part in value.split(separator)]
    options = [option for option in options if option]
    if len(options) < 2:
        raise UserError("A poll needs at least two options, separated by commas: /poll Python, Recruiting, Hiking")
    if len(options) > MAX_OPTIONS:
        raise UserError(f"A poll can have at most {MAX_OPTIONS} options; you gave {len(options)}.")
    too_long = [option for option in options if len(option) > OPTION_LIMIT]
    if too_long:
        raise UserError(f"Options can be at most {OPTION_LIMIT} characters: “{shorten(too_long[0])}” is longer.")
    seen: set[str] = set()
    for option in options:
        if option.casefold() in seen:
            raise UserError(f"“{shorten(option)}” is listed twice.")
        seen.add(option.casefold())
    return options


def small_int(value: str, *, signed: bool = False) -> int | None:
    """A short ASCII whole number, or None: ``str.isdigit`` alone accepts "²", which ``int`` refuses."""
    raw = value.strip()
    return int(raw) if re.fullmatch(r"[+-]?\d{1,6}" if signed else r"\d{1,9}", raw) else None


def weeks(value: str) -> int | None:
    raw = value.strip()
    if not raw:
        return None
    number = small_int(raw)
    if number is None or not 1 <= number <= 52:
        raise UserError(
            "Pause for a whole number of weeks from 1 to 52, e.g. /pause 2, or /pause to pause until /resume."
        )
    return number


def join_code(value: str) -> str:
    code = value.strip().upper()
    if not code:
        raise UserError("Send the event's join code after the command, e.g. /join HR7K2Q.")
    if not code.isalnum() or len(code) > 16:
        raise UserError(f"“{shorten(value, 20)}” is not a join code. Codes are letters and digits, e.g. HR7K2Q.")
    return code
