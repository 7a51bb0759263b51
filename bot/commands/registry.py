"""The command vocabulary, identical on every platform, wired to its handlers."""

from __future__ import annotations

from functools import partial

from bot.commands import (
    answers,
    broadcast,
    channels,
    confirmations,
    dashboard,
    interests,
    matching,
    meetings,
    membership,
    organising,
    outcomes,
    preferences,
    privacy,
    relay,
    schedule,
    slots,
)
from bot.context import Context
from bot.forms import Forms
from bot.messages import MessageBuilder, bold, code, text
from bot.router import CommandSpec, Router


def build_router() -> Router:
    forms = Forms(organising.NEWEVENT_FORM, organising.POLL_FORM, relay.RELAY_FORM, slots.SLOTS_FORM)
    router = Router()
    specs = [
        CommandSpec("help", partial(_help, router), "help", "what I can do"),
        CommandSpec("start", membership.start, "start [CODE]", "say hello, or join with a code"),
        CommandSpec("join", membership.join, "join CODE", "join an event by its code"),
        CommandSpec("event", membership.switch_event, "event CODE", "pick your current event"),
        CommandSpec("interests", interests.interests, "interests", "answer or change the interest poll"),
        CommandSpec("profile", privacy.profile, "profile", "what I know about you"),
        CommandSpec("pause", membership.pause, "pause [WEEKS]", "no introductions for a while"),
        CommandSpec("resume", membership.resume, "resume", "introductions back on"),
        CommandSpec("leave", membership.leave, "leave", "leave your current event"),
        CommandSpec("mydata", privacy.mydata, "mydata", "everything stored about you"),
        CommandSpec("forget", privacy.forget, "forget", "erase everything about you"),
        CommandSpec("role", preferences.role, "role NAME", "your role in the event (e.g. recruiter)"),
        CommandSpec("timezone", preferences.time_zone, "timezone ZONE|auto", "your time zone, e.g. Europe/London"),
        CommandSpec(
            "crossplatform",
            preferences.cross_platform,
            "crossplatform on|off",
            "allow intros to people on other platforms",
        ),
        CommandSpec("meetings", meetings.meetings, "meetings", "your meetings at the event (organisers: the grid)"),
        CommandSpec("cancel", partial(_cancel, forms), "cancel", "stop the form you're filling in"),
        CommandSpec(
            "newevent",
            partial(organising.newevent, forms=forms),
            'newevent ["NAME" DATE TIME ZONE]',
            "create an event",
            organiser=True,
        ),
        CommandSpec("events", _events, "events", "the events you organise or joined", organiser=True),
        CommandSpec("invite", organising.invite, "invite", "the join code and how to share it", organiser=True),
        CommandSpec(
            "poll",
            partial(organising.poll, forms=forms),
            "poll [A, B, C]",
            "set the interest options",
            organiser=True,
        ),
        CommandSpec(
            "broadcast",
            broadcast.broadcast,
            "broadcast [to AUDIENCE] [at DATE TIME] TEXT",
            "message the event's members",
            organiser=True,
        ),
        CommandSpec(
            "broadcasts",
            broadcast.listed,
            "broadcasts",
            "the scheduled broadcasts, to cancel one",
            organiser=True,
        ),
        CommandSpec("stats", organising.stats, "stats", "how your event is doing", organiser=True),
        CommandSpec("export", outcomes.export_rows, "export", "the event's outcome rows as CSV", organiser=True),
        CommandSpec(
            "dashboard", dashboard.dashboard, "dashboard", "a sign-in link to the web dashboard", organiser=True
        ),
        CommandSpec(
            "newcommunity",
            schedule.newcommunity,
            'newcommunity "NAME" weekly DAY HH:MM ZONE',
            "a community with recurring rounds",
            organiser=True,
        ),
        CommandSpec(
            "schedule", schedule.schedule, "schedule [on|off|move KEY …]", "the event's campaign", organiser=True
        ),
        CommandSpec(
            "move", schedule.move_event, "move YYYY-MM-DD HH:MM", "move the event (and its campaign)", organiser=True
        ),
        CommandSpec("match", matching.match, "match [now]", "preview the groups, or send the intros", organiser=True),
        CommandSpec("followup", matching.followup, "followup", "ask who met", organiser=True),
        CommandSpec("rules", preferences.rules, "rules [SETTING VALUE]", "group size, opt-in, roles", organiser=True),
        CommandSpec(
            "starter", preferences.starter, "starter [INTEREST: TEXT]", "add a conversation starter", organiser=True
        ),
        CommandSpec(
            "slots",
            partial(slots.slots, forms=forms),
            'slots [HH:MM-HH:MM every N at "Bar*10, Table 1-8"]',
            "times and places members can book to meet",
            organiser=True,
        ),
        CommandSpec("link", channels.link, "link [CODE]", "in a group: make it the event's chat", organiser=True),
        CommandSpec("unlink", channels.unlink, "unlink [CODE]", "stop posting to the linked chat", organiser=True),
    ]
    for spec in specs:
        router.command(spec)
    router.button("interests", interests.open_poll)
    router.button("pick", interests.choose)
    router.button("picked", interests.done)
    router.button("forget", privacy.confirm_forget)
    router.button("sendround", matching.send_round)
    router.button("hi", answers.said_hi)
    router.button("later", answers.not_now)
    router.button("noagain", answers.never_again)
    router.button("optin", answers.opt_in)
    router.button("met", answers.met)
    router.button("rate", answers.rate)
    router.button("relay", partial(relay.write, forms=forms))
    router.button("relaysend", relay.send)
    router.button("relaydrop", relay.drop)
    router.button(broadcast.SEND, broadcast.send)
    router.button(broadcast.EDIT, broadcast.edit)
    router.button(broadcast.DROP, broadcast.drop)
    router.button(broadcast.FORM, broadcast.form)
    router.button(broadcast.REVISE, broadcast.revise)
    router.button(broadcast.UNSCHEDULE, broadcast.unschedule)
    router.button(confirmations.ACTION, partial(confirmations.answer, CONFIRMED))
    router.button("rsvp", schedule.rsvp)
    router.button("attended", schedule.attended)
    router.button(outcomes.MET_NEW, outcomes.met_someone_new)
    for action, handler in MEETING_BUTTONS.items():
        router.button(action, handler)
    router.text_handler = forms.answer
    router.before_command = partial(_drop_form, forms)
    return router


CONFIRMED: dict[str, confirmations.Confirmed] = {
    "poll": organising.confirmed_poll,
    "move": schedule.confirmed_move,
    "followup": matching.confirmed_followup,
}
MEETING_BUTTONS = {
    "meet": meetings.meet,
    "mtime": meetings.toggle_time,
    "msend": meetings.send_proposal,
    "mok": meetings.accept,
    "mother": meetings.suggest_other,
    "mquick": meetings.quick_propose,
    "mmove": meetings.reschedule,
    "mcancel": meetings.cancel,
    "slotsok": slots.confirm,
    "slotsno": slots.keep,
}


async def _help(router: Router, ctx: Context, args: str) -> None:
    builder = MessageBuilder().line(bold("What I can do"))
    for organiser in (False, True):
        if organiser:
            builder.blank().line(bold("For organisers"))
        for spec in router.commands.values():
            if spec.organiser == organiser and spec.name != "cancel":
                builder.line(code("/" + spec.usage), f" — {spec.summary}")
    ctx.reply(builder.build())


async def _events(ctx: Context, args: str) -> None:
    await membership.list_mine(ctx)


async def _cancel(forms: Forms, ctx: Context, args: str) -> None:
    ctx.reply(text("Nothing to cancel." if not await forms.cancel(ctx) else "Cancelled."))


READ_ONLY = frozenset(
    {
        "cancel",
        "help",
        "profile",
        "mydata",
        "events",
        "stats",
        "broadcasts",
        "invite",
        "export",
        "dashboard",
        "meetings",
    }
)


async def _drop_form(forms: Forms, ctx: Context, name: str) -> None:
    """A new command abandons a form in progress; looking something up (or /cancel, which says so) does not."""
    if name not in READ_ONLY and await forms.cancel(ctx):
        ctx.reply(text("(I've dropped the form you had started.)"))
