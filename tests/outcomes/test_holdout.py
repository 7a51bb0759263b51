"""The holdout through the core: the rule, the draw, the matcher's pool, the welcome, the question after the event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.campaign.runner import CampaignRunner
from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.delivery import Delivery
from bot.messages import ButtonPress, Mention
from bot.outcomes import draw, estimate, report
from storage import holdouts
from storage.models import Event, Holdout, HoldoutDraw, Intro, Member, Participant
from tests.core.conftest import OLIVIA, create_event
from tests.fakes import RecordingPlatform, Talk, person, snapshot

INTERESTS = ["Python", "Recruiting", "Hiking"]


async def join_all(talk: Talk, code: str, count: int, *, prefix: str = "M", answer: bool = True) -> list[str]:
    names = [f"{prefix}{i:02d}" for i in range(count)]
    for index, name in enumerate(names):
        who = person(name)
        await talk.say(who, f"/join {code}")
        if answer:
            await talk.press(who, "Choose my interests")
            await talk.press(who, INTERESTS[index % 3])
            await talk.press(who, INTERESTS[(index + 1) % 3])
            await talk.press(who, "Done")
    return names


async def draws(core: Core) -> dict[str, bool]:
    """Each member's draw, by platform user id."""
    async with core.database.transaction() as session:
        rows = await session.execute(
            select(Member.platform_user_id, HoldoutDraw.held_out).join(HoldoutDraw, HoldoutDraw.member_id == Member.id)
        )
        return {user: bool(held) for user, held in rows.all()}


async def holdout_row(core: Core) -> Holdout:
    async with core.database.transaction() as session:
        return (await session.scalars(select(Holdout))).one()


async def test_the_rule_draws_everyone_with_a_recorded_seed(talk: Talk, core: Core, code: str) -> None:
    await join_all(talk, code, 30, answer=False)
    reply = await talk.say(OLIVIA, "/rules holdout 20")
    assert "Holdout on for HR Tweetup London: 20 %" in reply
    holdout = await holdout_row(core)
    drawn = await draws(core)
    assert len(drawn) == 30
    async with core.database.transaction() as session:
        ids = dict((await session.execute(select(Member.platform_user_id, Member.id))).all())
    assert drawn == {user: draw.is_held_out(holdout.seed, ids[user], 20) for user in drawn}  # the seed decides
    assert f"Drawn so far: {sum(drawn.values())} of 30 held out" in reply and f"Seed: {holdout.seed}" in reply
    assert f"Holdout: 20 % held out at random, seed {holdout.seed}" in await talk.say(OLIVIA, "/rules")


async def test_late_joiners_are_drawn_as_they_join_and_a_draw_never_changes(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, "/rules holdout 50")
    names = await join_all(talk, code, 12, answer=False)
    first = await draws(core)
    assert set(first) == {n.lower() for n in names}
    assert 0 < sum(first.values()) < 12
    leaver = person(names[0])
    await talk.say(leaver, "/leave")
    await talk.press(leaver, "Leave")
    await talk.say(leaver, f"/join {code}")
    await talk.match_now(OLIVIA)  # the first round: nothing about the draw may move now
    assert await draws(core) == first


@pytest.mark.parametrize(("percent", "size", "optin"), [(20, "2", "off"), (50, "3", "off"), (35, "2", "on")])
async def test_held_out_members_are_never_introduced_nor_named(
    talk: Talk, core: Core, code: str, clock: ManualClock, percent: int, size: str, optin: str
) -> None:
    await talk.say(OLIVIA, f"/rules size {size}")
    await talk.say(OLIVIA, f"/rules optin {optin}")
    await talk.say(OLIVIA, f"/rules holdout {percent}")
    await join_all(talk, code, 23)
    drawn = await draws(core)
    held = {user for user, out in drawn.items() if out}
    assert held and len(held) < len(drawn)
    preview = await talk.say(OLIVIA, "/match")
    assert not any(f"M{user[1:]}" in preview for user in held)
    await talk.match_now(OLIVIA)
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    if optin == "on":  # everyone proposed says yes, so the names go out too
        for address, message in list(platform.sent):
            for row in message.buttons:
                for button in row:
                    if button.label == "Yes, introduce us":
                        await core.handle(ButtonPress(person(address.user_id.upper()), button.action, button.value))
        await Delivery(core.database, {"console": platform}, clock).run_once()
    async with core.database.transaction() as session:
        in_round = set(
            (await session.scalars(select(Member.platform_user_id).join(Intro, Intro.member_id == Member.id))).all()
        )
    assert in_round == set(drawn) - held  # everyone else is matched or told why not; no held-out member
    for address, message in platform.sent:
        assert address.user_id not in held, message.plain_text()
        named = {piece.user_id for line in message.lines for piece in line if isinstance(piece, Mention)}
        assert not named & held, message.plain_text()
    assert any("Meet" in m.plain_text() for _, m in platform.sent)


async def test_refusals_change_nothing(talk: Talk, core: Core, code: str) -> None:
    await join_all(talk, code, 4)
    before = await snapshot(core.database)
    for value in ("", "3", "51", "abc", "20 30", "-10", "²⁰"):
        reply = await talk.say(OLIVIA, f"/rules holdout {value}")
        assert "Use /rules holdout PERCENT (5–50) before the first round" in reply, (value, reply)
    assert "Only the organisers of HR Tweetup London" in await talk.say(person("M01"), "/rules holdout 20")
    assert await snapshot(core.database) == before
    assert "Holdout on" in await talk.say(OLIVIA, "/rules holdout 20%")
    await talk.match_now(OLIVIA)
    after_round = await snapshot(core.database)
    for value in ("30", "off", "20"):
        reply = await talk.say(OLIVIA, f"/rules holdout {value}")
        assert "has had its first round of introductions, so its holdout can no longer change" in reply
        assert "it stays 20 % held out" in reply
    assert await snapshot(core.database) == after_round
    assert "(fixed: the first round has gone out)" in await talk.say(OLIVIA, "/rules")


async def test_a_community_cannot_have_a_holdout(talk: Talk, core: Core) -> None:
    await talk.say(OLIVIA, '/newcommunity "Python London" weekly tue 10:00 Europe/London')
    before = await snapshot(core.database)
    assert "is a community with recurring rounds" in await talk.say(OLIVIA, "/rules holdout 20")
    assert await snapshot(core.database) == before


async def test_before_the_first_round_it_can_be_replaced_or_turned_off(talk: Talk, core: Core, code: str) -> None:
    await join_all(talk, code, 10, answer=False)
    await talk.say(OLIVIA, "/rules holdout 20")
    first = await holdout_row(core)
    assert "replaces the earlier draw" in await talk.say(OLIVIA, "/rules holdout 40")
    second = await holdout_row(core)
    assert second.percent == 40 and len(await draws(core)) == 10
    assert "Holdout off" in await talk.say(OLIVIA, "/rules holdout off")
    assert await draws(core) == {}
    assert "Holdout: off" in await talk.say(OLIVIA, "/rules")
    assert first.seed != second.seed or first.percent != second.percent


async def test_the_welcome_says_introductions_go_to_most_attendees(
    talk: Talk, core: Core, code: str, clock: ManualClock
) -> None:
    plain = await talk.say(person("Early"), f"/join {code}")
    assert "Introductions go to most attendees" not in plain
    await talk.say(OLIVIA, "/rules holdout 10")
    welcome = await talk.say(person("Late"), f"/join {code}")
    assert "Introductions go to most attendees, not all: 10 % of members, drawn at random" in welcome
    clock.advance(timedelta(days=4))  # past the campaign's welcome, two weeks before the event
    await CampaignRunner(core.database, clock, Policy()).run_due()
    platform = RecordingPlatform()
    await Delivery(core.database, {"console": platform}, clock).run_once()
    campaign_welcome = [t for t in platform.texts_to("early") if "two weeks away" in t]
    assert campaign_welcome and "Introductions go to most attendees" in campaign_welcome[0]


async def _event_id(core: Core, code: str) -> int:
    async with core.database.transaction() as session:
        return int((await session.scalars(select(Event.id).where(Event.join_code == code))).one())


async def answer_after_event(core: Core, event_id: int, name: str, *, rsvp: bool, came: bool, met: bool) -> str:
    who = person(name)
    await core.handle(ButtonPress(who, "rsvp", f"{event_id}.{'yes' if rsvp else 'no'}"))
    actions = await core.handle(ButtonPress(who, "attended", f"{event_id}.{'yes' if came else 'no'}"))
    asked = [b for a in actions for row in a.message.buttons for b in row if b.action == "metnew"]
    assert bool(asked) == came  # asked of everyone who came, in both groups alike
    if came:
        pick = asked[0] if met else asked[1]
        await core.handle(ButtonPress(who, pick.action, pick.value))
    return "\n".join(a.message.plain_text() for a in actions)


async def test_stats_compare_the_groups(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, "/rules holdout 30")
    names = await join_all(talk, code, 60)
    await talk.match_now(OLIVIA)
    event_id = await _event_id(core, code)
    drawn = await draws(core)
    assert "nobody has told me yet whether they came" in await talk.say(OLIVIA, "/stats")
    for index, name in enumerate(names):
        held = drawn[name.lower()]
        came = index % 5 != 0 if not held else index % 2 == 0
        await answer_after_event(core, event_id, name, rsvp=index % 7 != 0, came=came, met=came and not held)
    stats = await talk.say(OLIVIA, "/stats")
    held_n = sum(drawn.values())
    intro_n = 60 - held_n
    came_intro = sum(1 for i, n in enumerate(names) if not drawn[n.lower()] and i % 5 != 0)
    came_held = sum(1 for i, n in enumerate(names) if drawn[n.lower()] and i % 2 == 0)
    assert "30 % of members are held out at random" in stats
    assert f"attended {round(100 * came_intro / intro_n)} % ({came_intro} of {intro_n})" in stats
    assert (
        "Held out: RSVP yes" in stats
        and f"attended {round(100 * came_held / held_n)} % ({came_held} of {held_n})" in stats
    )
    # only those who came were asked whether they met anyone new: the others have not said either way
    assert f"met someone new 100 % ({came_intro} of {came_intro} who answered)" in stats
    assert f"met someone new 0 % (0 of {came_held} who answered)" in stats
    comparison = estimate.Comparison(came_intro, intro_n, came_held, held_n, answered=60)
    expected = report.verdict_of(comparison, estimate.event_difference(comparison))
    assert f"Attendance: {expected}" in stats
    assert "Across your" not in stats  # one event: nothing to pool


async def test_an_organiser_of_several_events_sees_the_pooled_estimate(talk: Talk, core: Core) -> None:
    codes = [await create_event(talk, name=f"Meetup {n}") for n in (1, 2)]
    for number, code in enumerate(codes):
        await talk.say(OLIVIA, f"/event {code}")
        await talk.say(OLIVIA, "/poll " + ", ".join(INTERESTS))
        await talk.say(OLIVIA, "/rules holdout 50")
        names = await join_all(talk, code, 30, prefix=f"E{number}x")
        await talk.match_now(OLIVIA)
        event_id = await _event_id(core, code)
        drawn = await draws(core)
        for index, name in enumerate(names):
            came = not drawn[name.lower()] or index % 3 == 0
            await answer_after_event(core, event_id, name, rsvp=True, came=came, met=False)
    stats = await talk.say(OLIVIA, "/stats")
    assert "Across your 2 events with a holdout: " in stats and "Mantel–Haenszel" in stats
    assert "introduced attendees came more often" in stats.split("Across your 2 events")[1]


async def test_export_has_the_rows_and_no_names_or_ids(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, "/rules holdout 25")
    names = await join_all(talk, code, 20)
    await talk.match_now(OLIVIA)
    event_id = await _event_id(core, code)
    for index, name in enumerate(names[:12]):
        await answer_after_event(core, event_id, name, rsvp=True, came=index % 2 == 0, met=index % 4 == 0)
    await talk.say(person(names[-1]), "/leave")
    await talk.press(person(names[-1]), "Leave")
    reply = await talk.say(OLIVIA, "/export")
    assert "Outcome rows of HR Tweetup London (part 1 of 1)" in reply
    block = reply[reply.index("group,was_introduced") :]
    lines = block.splitlines()
    assert lines[0] == "group,was_introduced,rsvp,attended,met_someone_new,left_event,people"
    rows = [line.split(",") for line in lines[1:]]
    assert sum(int(row[-1]) for row in rows) == 20
    assert sum(int(r[-1]) for r in rows if r[0] == "held_out") == sum((await draws(core)).values())
    assert sum(int(r[-1]) for r in rows if r[5] == "yes") == 1
    assert sum(int(r[-1]) for r in rows if r[3] == "yes") == 6 and sum(int(r[-1]) for r in rows if r[4] == "yes") == 3
    async with core.database.transaction() as session:
        ids = [str(i) for i in (await session.scalars(select(Member.id))).all()]
    for name in names:
        assert name not in reply and name.lower() not in reply
    assert all(cell not in ids or cell == row[-1] for row in rows for cell in row)  # only counts are numbers
    assert "Only the organisers" in await talk.say(person(names[0]), "/export")


async def test_the_met_someone_new_button_is_safe(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, "/rules holdout 20")
    await join_all(talk, code, 3, answer=False)
    event_id = await _event_id(core, code)
    who = person("M00")
    before = await snapshot(core.database)
    for value in (f"{event_id + 1}.yes", f"{event_id}.maybe", "x.yes", ""):
        actions = await core.handle(ButtonPress(who, "metnew", value))
        assert actions[0].message.plain_text() == "That question is no longer open."
    stranger = await core.handle(ButtonPress(person("Stranger"), "metnew", f"{event_id}.yes"))
    assert "haven't joined" in stranger[0].message.plain_text()
    assert await snapshot(core.database) == before
    for _ in range(2):  # pressed twice: the same answer
        await core.handle(ButtonPress(who, "metnew", f"{event_id}.yes"))
    async with core.database.transaction() as session:
        answers = (await session.scalars(select(HoldoutDraw.met_someone_new))).all()
    assert sorted(answers, key=str) == sorted(["yes", None, None], key=str)
    no_holdout = await answer_without_holdout(talk, core)
    assert "did you get talking to anyone new" not in no_holdout


async def answer_without_holdout(talk: Talk, core: Core) -> str:
    other = await create_event(talk, name="No holdout here")
    await talk.say(person("Plain"), f"/join {other}")
    event_id = await _event_id(core, other)
    actions = await core.handle(ButtonPress(person("Plain"), "attended", f"{event_id}.yes"))
    return "\n".join(a.message.plain_text() for a in actions)


async def test_mydata_shows_the_draw_and_forget_erases_it(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, "/rules holdout 50")
    await talk.say(person("Ann"), f"/join {code}")
    data = await talk.say(person("Ann"), "/mydata")
    event = json.loads(data[data.index("{") :])["events"][0]
    assert event["introductions_held_out"] in (True, False) and event["met_someone_new"] is None
    await talk.say(person("Ann"), "/forget")
    await talk.press(person("Ann"), "Yes, erase me")
    async with core.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(HoldoutDraw)) == 0
        assert await session.scalar(select(func.count()).select_from(Participant)) == 0
        assert await session.scalar(select(func.count()).select_from(Holdout)) == 1  # the event's rule stays


async def test_a_draw_stored_twice_keeps_the_first(talk: Talk, core: Core, code: str, clock: ManualClock) -> None:
    """Two transactions drawing the same late joiner (a /join and a round) must not fail: the coin is the same."""
    await talk.say(OLIVIA, "/rules holdout 20")
    await talk.say(person("Zed"), f"/join {code}")
    event_id = await _event_id(core, code)
    before = await draws(core)
    async with core.database.transaction() as session:
        member_id = (await session.scalars(select(Member.id).where(Member.platform_user_id == "zed"))).one()
        await holdouts.add_draws(session, event_id, [(member_id, not before["zed"])], clock.now())
    assert await draws(core) == before


async def test_unanswered_is_not_no_and_an_organiser_who_joins_is_not_drawn(talk: Talk, core: Core, code: str) -> None:
    await talk.say(OLIVIA, f"/join {code}")  # the organiser joins their own event
    await talk.say(OLIVIA, "/rules holdout 50")
    names = await join_all(talk, code, 20)
    drawn = await draws(core)
    assert "olivia" not in drawn and len(drawn) == 20  # organisers are not attendees in the measurement
    held_n = sum(drawn.values())
    await talk.match_now(OLIVIA)
    stats = await talk.say(OLIVIA, "/stats")
    assert f"Told me whether they came: 0 of {20 - held_n} introduced, 0 of {held_n} held out" in stats
    assert stats.count("met someone new — (nobody has answered yet)") == 2
    event_id = await _event_id(core, code)
    held = [name for name in names if drawn[name.lower()]]
    await answer_after_event(core, event_id, held[0], rsvp=True, came=True, met=False)
    stats = await talk.say(OLIVIA, "/stats")
    assert "met someone new 0 % (0 of 1 who answered)" in stats  # the others who never said are not a no
