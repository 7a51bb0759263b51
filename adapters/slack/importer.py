"""CSV import for organisers: look each row up by email and send the found people the core's invitation.

The invitation is whatever the core answers to the organiser's ``invite`` command, so the adapter decides
nothing about events or codes. Progress lives in one DM to the organiser, updated in place.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from bot.errors import DeliveryError, RateLimited
from bot.messages import Address, Command, Message, MessageBuilder, Reply, Sender, bold, text
from bot.port import Delivered

if TYPE_CHECKING:
    from adapters.slack.listeners import Core
    from adapters.slack.outbound import Outbound

log = logging.getLogger(__name__)

PROGRESS_EVERY = 20  # lookups between two progress updates
MAX_LISTED = 30  # unmatched rows named in the report
PATIENCE = 3  # tries of one call that Slack rate-limits
MAX_WAIT = 30.0  # seconds we wait at most for one Retry-After

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    email: str


def parse_csv(raw: str) -> list[Row]:
    """``name,email`` rows (a header row and blank lines are skipped; a lone email is fine); unique emails."""
    rows: list[Row] = []
    seen: set[str] = set()
    for record in csv.reader(io.StringIO(raw.strip())):
        cells = [cell.strip() for cell in record if cell.strip()]
        if not cells:
            continue
        email = next((cell for cell in reversed(cells) if "@" in cell), None)
        if email is None:
            continue  # a header, or a row without an email
        name = next((cell for cell in cells if cell != email), "")
        if email.casefold() not in seen:
            seen.add(email.casefold())
            rows.append(Row(name, email))
    return rows


class Importer:
    def __init__(self, core: Core, out: Outbound, *, progress_every: int = PROGRESS_EVERY) -> None:
        self.core = core
        self.out = out
        self.progress_every = progress_every

    async def run(self, organiser: Sender, rows: list[Row]) -> None:
        me = Address(organiser.platform, organiser.user_id)
        actions = await self.core.handle(Command(organiser, "invite"))
        invitation = next((a.message for a in actions if isinstance(a, Reply) and a.message.invite_code), None)
        if invitation is None:  # not an organiser, no current event…: the core said why
            for action in actions:
                await self._try_send(me, action.message)
            return
        total = len(rows)
        progress = await self._try_send(me, _progress(0, total))
        invited: list[Row] = []
        unmatched: list[Row] = []
        unreachable: list[Row] = []
        for done, row in enumerate(rows, 1):
            try:
                user = await self._patiently(partial(self.out.lookup_email, row.email))
            except DeliveryError:
                user = None
            if user is None:
                unmatched.append(row)
            else:
                address = Address(organiser.platform, str(user["id"]))
                try:
                    await self._patiently(partial(self.out.send, address, invitation))
                    invited.append(row)
                except DeliveryError:
                    unreachable.append(row)
            if done % self.progress_every == 0 and done < total and progress is not None:
                await self._try_edit(progress, _progress(done, total))
        report = _report(total, invited, unmatched, unreachable)
        if progress is None or not await self._try_edit(progress, report):
            await self._try_send(me, report)

    async def _patiently(self, call: Callable[[], Awaitable[T]]) -> T:
        """The call, waiting out Slack's Retry-After a few times (the import is not in the outbox)."""
        for _ in range(PATIENCE - 1):
            try:
                return await call()
            except RateLimited as error:
                await asyncio.sleep(min(error.retry_after, MAX_WAIT))
        return await call()

    async def _try_send(self, address: Address, message: Message) -> Delivered | None:
        """Progress and reports are best effort: a failure is logged and the import goes on."""
        try:
            return await self.out.send(address, message)
        except DeliveryError as error:
            log.warning("import report not sent", extra={"error": str(error)})
            return None

    async def _try_edit(self, delivered: Delivered, message: Message) -> bool:
        try:
            await self.out.edit(delivered, message)
        except DeliveryError as error:
            log.warning("import progress not updated", extra={"error": str(error)})
            return False
        return True


def _progress(done: int, total: int) -> Message:
    return text(f"Importing {total} rows: looked up {done} of {total}…")


def _report(total: int, invited: list[Row], unmatched: list[Row], unreachable: list[Row]) -> Message:
    builder = MessageBuilder().line(bold("Import finished"), f": looked up {total} of {total}.")
    builder.line(f"Invited: {len(invited)}  ·  not found: {len(unmatched)}  ·  could not message: {len(unreachable)}")
    for title, rows in (("Not found in this workspace:", unmatched), ("Found, but could not message:", unreachable)):
        if rows:
            builder.line(bold(title))
            for row in rows[:MAX_LISTED]:
                builder.line("• ", f"{row.name} <{row.email}>" if row.name else row.email)
            if len(rows) > MAX_LISTED:
                builder.line(f"…and {len(rows) - MAX_LISTED} more.")
    return builder.build()
