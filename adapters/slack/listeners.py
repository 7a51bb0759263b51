"""Bolt listeners: ack first, then hand the event to the core and post its answers to the member's DM.

With an inbox (always under ``icebreaker run``), events (``event_callback``: messages, mentions) and presses
of the core's buttons (``block_actions`` with an ``ib.*`` action) are committed to the inbox before Bolt's
ack is sent, and handled by whichever replica's inbox worker claims them, one person's in order; the mark
"handled" commits with the core's transaction. Slash commands, App Home buttons, a broadcast preview's Edit
(it opens a modal prefilled with the draft) and modal submissions are still acknowledged first and handled
after (a modal must be opened, or a submission answered, within Slack's 3 seconds): a replica killed in
between loses that one.

With ``process_before_response=False`` (the default), Bolt's asyncio runner starts each listener as a task
and answers Slack as soon as ``ack()`` is called, so slow work after the ack never delays the 3-second
acknowledgement. Slack retries an event it thinks was lost (``X-Slack-Retry-Num``); the first middleware
after signature verification drops repeats of an ``event_id`` it has seen, so a retry has no second effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.slack import render, translate, views
from adapters.slack.importer import Importer, parse_csv
from adapters.slack.outbound import Lru, Outbound
from bot.commands import broadcast
from bot.errors import DeliveryError, RateLimited
from bot.inbound import Completion, Inbound
from bot.messages import (
    Action,
    Address,
    Button,
    ButtonPress,
    Command,
    EditOrigin,
    Incoming,
    Message,
    OpenForm,
    Sender,
)
from storage.inbox import ClaimedUpdate, NewUpdate

log = logging.getLogger(__name__)

SLASH = "/icebreaker"
CORE_BUTTON = re.compile(r"^ib\.\d+\.\d+$")
HOME_BUTTON = re.compile(r"^home\.")
CORE_MODALS = re.compile(rf"^({views.NEWEVENT}|{views.POLL}|{views.BROADCAST}|{views.SLOTS})$")
BARE_MODALS = {"newevent": views.NEWEVENT, "poll": views.POLL, "broadcast": views.BROADCAST, "slots": views.SLOTS}
ELSEWHERE = "I've answered in our direct messages."
SEEN_EVENTS = 10_000
# How long a listener waits for a Web API method's turn in the shared budget before giving up on it: a reply
# then waits in the outbox, a profile is read next time, a modal is not opened (its trigger lasts 3 s).
REPLY_WAIT = 2.0
PROFILE_WAIT = 2.0
MODAL_WAIT = 1.0

Body = dict[str, Any]
Later = Callable[[Address, Message, float], Awaitable[None]]  # hands a refused answer to the outbox


class Core(Protocol):
    async def handle(
        self, incoming: Incoming, *, within: Callable[[AsyncSession], Awaitable[None]] | None = None
    ) -> list[Action]: ...


class Inflight:
    """Counts listeners still working after their ack, so shutdown and tests can wait for quiet."""

    def __init__(self) -> None:
        self._count = 0
        self._quiet = asyncio.Event()
        self._quiet.set()

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        self._count += 1
        self._quiet.clear()
        try:
            yield
        finally:
            self._count -= 1
            if self._count == 0:
                self._quiet.set()

    async def wait(self) -> None:
        await asyncio.sleep(0)  # let listeners started just now enter
        await self._quiet.wait()


class Listeners:
    def __init__(
        self, core: Core, outbound: Outbound, inbound: Inbound | None = None, later: Later | None = None
    ) -> None:
        self.core = core
        self.later = later
        self.inbound = inbound
        self.bot_user_id: str | None = None  # from auth.test at start, for events handled from the inbox
        self.out = outbound
        self.importer = Importer(core, outbound)
        self.inflight = Inflight()
        self._seen: Lru[str, bool] = Lru(SEEN_EVENTS)

    def register(self, app: AsyncApp) -> None:
        if self.inbound is not None:
            app.middleware(self.record)
            self.inbound.register(translate.PLATFORM, self.process)
        app.middleware(self.dedupe)
        app.command(SLASH)(self.on_command)
        app.action(CORE_BUTTON)(self.on_button)
        app.action(HOME_BUTTON)(self.on_home_button)
        app.view(CORE_MODALS)(self.on_modal)
        app.view(views.IMPORT)(self.on_import)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("message")(self.on_message)
        app.event("app_mention")(self.on_message)

    async def record(self, body: Body, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Commit a durable request to the inbox, then acknowledge it (Bolt's listeners do not run for it)."""
        recorded = _durable(body)
        if recorded is None or self.inbound is None:
            await next()
            return None
        await self.inbound.record([recorded])
        return BoltResponse(status=200, body="")

    async def process(self, claimed: ClaimedUpdate, completion: Completion) -> None:
        """The inbox worker's handler for what ``record`` kept."""
        body = claimed.payload
        if body.get("type") == "block_actions":
            who = await self._sender(body["user"]["id"], body["user"].get("username"))
            channel, ts = translate.origin(body)
            self.out.remember_dm(who.user_id, channel)
            await self._run(translate.button_press(body, who), channel, ts, within=completion)
            return
        event = body.get("event") or {}
        author = translate.message_author(event, self.bot_user_id)
        if author is None:
            return
        if event.get("channel_type") == "im":
            self.out.remember_dm(author, event.get("channel"))
        who = await self._sender(author)
        await self._run(translate.free_text(event, who, self.bot_user_id), within=completion)

    async def dedupe(self, body: Body, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self._seen.add(str(event_id), True):
            log.info("slack event retry ignored", extra={"event_id": event_id})
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def on_command(self, ack: AsyncAck, command: Body) -> None:
        async with self.inflight():
            words = str(command.get("text") or "").split()
            name = words[0].lower().lstrip("/") if words else ""
            modal = views.IMPORT if name == "import" else BARE_MODALS.get(name) if len(words) == 1 else None
            if modal is not None:
                await ack()
                await self._open_modal(str(command["trigger_id"]), modal, str(command["user_id"]))
                return
            await (ack() if command.get("channel_name") == "directmessage" else ack(text=ELSEWHERE))
            who = await self._sender(str(command["user_id"]), command.get("user_name"))
            await self._run(translate.command(command, who))

    async def on_button(self, ack: AsyncAck, body: Body) -> None:
        async with self.inflight():
            await ack()
            who = await self._sender(body["user"]["id"], body["user"].get("username"))
            channel, ts = translate.origin(body)
            self.out.remember_dm(who.user_id, channel)
            press = translate.button_press(body, who)
            if press.action == broadcast.EDIT:  # a form here: the draft, to prefill the modal
                await self._edit_in_modal(str(body["trigger_id"]), replace(press, action=broadcast.FORM), channel, ts)
                return
            await self._run(press, channel, ts)

    async def _edit_in_modal(self, trigger_id: str, press: ButtonPress, channel: str | None, ts: str | None) -> None:
        """A broadcast preview's Edit: the modal prefilled with the draft as it stands (a stale preview gets the
        core's "out of date" instead); its submission rewrites that draft and shows the preview again."""
        actions = await self.core.handle(press)
        answers: list[Action] = []
        for action in actions:
            if not isinstance(action, OpenForm):
                answers.append(action)
                continue
            view = views.broadcast_edit(dict(action.fields), action.reference, channel, ts)
            try:
                await self.out.open_view(trigger_id, view, max_wait=MODAL_WAIT)
            except DeliveryError as error:  # the trigger expired (3 s): the command to copy instead
                log.warning("could not open the edit modal", extra={"error": str(error)})
                answers.append(action)
        await answer(self.out, press.sender.user_id, answers, channel, ts, self.later)

    async def on_home_button(self, ack: AsyncAck, body: Body, action: Body) -> None:
        async with self.inflight():
            await ack()
            user_id, action_id = str(body["user"]["id"]), str(action.get("action_id"))
            if action_id in views.HOME_MODALS:
                await self._open_modal(str(body["trigger_id"]), views.HOME_MODALS[action_id], user_id)
                return
            if action_id in views.HOME_COMMANDS:
                who = await self._sender(user_id, body["user"].get("username"))
                await self._run(Command(who, views.HOME_COMMANDS[action_id]))
                await self.publish_home(who)

    async def on_modal(self, ack: AsyncAck, body: Body, view: Body) -> None:
        async with self.inflight():
            await ack()
            who = await self._sender(body["user"]["id"], body["user"].get("username"))
            revision = translate.revision(view, who)
            if revision is not None:
                await self._run(*revision)
                return
            command = translate.modal_command(view, who)
            if command is not None:
                await self._run(command)

    async def on_import(self, ack: AsyncAck, body: Body, view: Body) -> None:
        async with self.inflight():
            rows = parse_csv(translate.field(view, views.CSV))
            if not rows:
                await ack(response_action="errors", errors={views.CSV: "Paste at least one row: name,email"})
                return
            await ack()
            who = await self._sender(body["user"]["id"], body["user"].get("username"))
            await self.importer.run(who, rows)

    async def on_home_opened(self, event: Body) -> None:
        async with self.inflight():
            if event.get("tab") != "home" or not event.get("user"):
                return
            self.out.remember_dm(event["user"], event.get("channel"))
            await self.publish_home(await self._sender(event["user"]))

    async def on_message(self, event: Body, context: AsyncBoltContext) -> None:
        async with self.inflight():
            author = translate.message_author(event, context.bot_user_id)
            if author is None:
                return
            if event.get("channel_type") == "im":
                self.out.remember_dm(author, event.get("channel"))
            who = await self._sender(author)
            await self._run(translate.free_text(event, who, context.bot_user_id))

    async def publish_home(self, who: Sender) -> None:
        """The member's profile as the core tells it, in the App Home, with the buttons."""
        actions = await self.core.handle(Command(who, "profile"))
        blocks = [block for action in actions for block in render.text_blocks(action.message)]
        try:
            await self.out.publish_home(who.user_id, views.home(blocks))
        except DeliveryError as error:
            log.warning("could not publish the app home", extra={"error": str(error)})

    async def _open_modal(self, trigger_id: str, callback_id: str, user_id: str) -> None:
        zone = None
        if callback_id == views.NEWEVENT:
            zone = (await self.out.user(user_id, max_wait=MODAL_WAIT) or {}).get("tz")
        try:
            await self.out.open_view(trigger_id, views.modal(callback_id, zone=zone), max_wait=MODAL_WAIT)
        except DeliveryError as error:
            log.warning("could not open a modal", extra={"error": str(error), "modal": callback_id})

    async def _sender(self, user_id: str, fallback: str | None = None) -> Sender:
        return translate.sender(user_id, await self.out.user(user_id, max_wait=PROFILE_WAIT), fallback)

    async def _run(
        self, incoming: Incoming, channel: str | None = None, ts: str | None = None, within: Completion | None = None
    ) -> None:
        actions = await (self.core.handle(incoming, within=within) if within else self.core.handle(incoming))
        await answer(self.out, incoming.sender.user_id, actions, channel, ts, self.later)


def _durable(body: Body) -> NewUpdate | None:
    """The inbox row for a request that can wait for its handling, keyed by Slack's id for it; None otherwise."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        event = body.get("event") or {}
        if event.get("type") in {"message", "app_mention"}:
            who = str(event.get("user") or event.get("channel") or body["event_id"])
            return NewUpdate(translate.PLATFORM, str(body["event_id"]), who, dict(body))
    if body.get("type") == "block_actions" and body.get("trigger_id"):
        actions = body.get("actions") or [{}]
        # Edit opens a modal, with a trigger that lives 3 seconds: handled at once, not from the inbox.
        editing = Button.parse(str(actions[0].get("value") or ""))[0] == broadcast.EDIT
        if CORE_BUTTON.match(str(actions[0].get("action_id") or "")) and not editing:
            who = str((body.get("user") or {}).get("id") or body["trigger_id"])
            return NewUpdate(translate.PLATFORM, f"action:{body['trigger_id']}", who, dict(body))
    return None


async def answer(
    out: Outbound,
    user_id: str,
    actions: list[Action],
    channel: str | None,
    ts: str | None,
    later: Later | None = None,
) -> None:
    """Replies go to the member's DM; an edit replaces the message whose button was pressed, if that was in
    their DM (in a group DM the message is everyone's, so the presser gets the new version privately).

    Each reply waits for its turn in the shared budget (at most ``REPLY_WAIT``). When the budget is spent, or
    Slack answers 429, the reply and every one after it wait in the outbox, in order, until the turn comes."""
    address = Address(translate.PLATFORM, user_id)
    queued_for: float | None = None  # once one reply waits in the outbox, the rest follow it there
    for action in actions:
        if queued_for is not None and later is not None:
            await later(address, action.message, queued_for)
            continue
        try:
            if isinstance(action, EditOrigin) and channel and ts and channel.startswith("D"):
                await out.update(channel, ts, action.message, max_wait=REPLY_WAIT)
            else:
                await out.send(address, action.message, max_wait=REPLY_WAIT)
        except RateLimited as error:
            if later is None:
                log.warning("could not answer on slack", extra={"user": user_id, "error": str(error)})
                continue
            queued_for = error.retry_after
            await later(address, action.message, error.retry_after)  # queued, not lost
        except DeliveryError as error:
            log.warning("could not answer on slack", extra={"user": user_id, "error": str(error)})
