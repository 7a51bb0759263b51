"""Who gets in, and what they may touch: one-time links, sessions, CSRF, other organisers' events.

Real HTTP against the real server (httpx keeps the cookie like a browser); refusals change nothing.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.context import Policy
from bot.core import Core
from bot.messages import Chat, Command
from bot.services.dashboard.service import Dashboard
from bot.services.dashboard.signin import DashboardLinks, LinkRefused, generate_key, signing_key
from bot.settings import Settings
from storage.database import Database
from storage.models import AppSecret, Broadcast, DashboardPass, Member
from tests.dashboard.conftest import MEMBERS, OLIVIA, OSCAR, Site, _site, csrf_of, sign_in
from tests.fakes import Talk, person, snapshot


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


async def test_a_link_signs_in_once(any_site: Site) -> None:
    site = any_site
    await site.seed()
    link = await site.link()
    async with httpx.AsyncClient(base_url=site.url) as first, httpx.AsyncClient(base_url=site.url) as second:
        page = await first.get(link)
        again = await second.get(link)  # a second look (a link preview, another tab) does not use it up
        assert page.status_code == again.status_code == 200
        signed = await first.post("/dashboard/signin", data={"csrf": csrf_of(page.text), "token": token_of(link)})
        assert signed.status_code == 303 and signed.headers["location"] == "/dashboard/"
        assert (await first.get("/dashboard/")).status_code == 200
        reused = await second.post("/dashboard/signin", data={"csrf": csrf_of(again.text), "token": token_of(link)})
        assert reused.status_code == 400 and "already been used" in reused.text
        assert (await second.get("/dashboard/")).status_code == 401
        looked = await second.get(link)
        assert looked.status_code == 400 and "already been used" in looked.text


async def test_an_expired_link_is_refused(site: Site, clock: ManualClock) -> None:
    await site.seed()
    link = await site.link()
    async with httpx.AsyncClient(base_url=site.url) as client:
        page = await client.get(link)
        clock.advance(timedelta(minutes=15))
        refused = await client.post("/dashboard/signin", data={"csrf": csrf_of(page.text), "token": token_of(link)})
        assert refused.status_code == 400 and "expired" in refused.text
        assert (await client.get(link)).status_code == 400
        assert (await client.get("/dashboard/")).status_code == 401


async def test_a_link_that_was_changed_or_made_with_another_key_is_refused(site: Site) -> None:
    await site.seed()
    link = await site.link()
    forged = DashboardLinks(generate_key(), lambda: site.url)
    async with site.database.transaction() as session:
        olivia = (await session.scalars(select(Member).where(Member.platform_user_id == "olivia"))).one()
        other_key = token_of(await forged.issue(session, olivia, site.clock.now()))
    token = token_of(link)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    async with httpx.AsyncClient(base_url=site.url) as client:
        for bad in (tampered, other_key, "x", "a" * 3000):
            page = await client.get(f"/dashboard/signin/{bad}")
            assert page.status_code == 400 and "not valid" in page.text


async def test_a_member_who_organises_nothing_gets_no_link_and_no_session(site: Site) -> None:
    code = await site.seed()
    ann = MEMBERS[0]
    reply = await site.talk.say(ann, "/dashboard")
    assert "for organisers" in reply and "http" not in reply
    stranger = person("Stranger")
    assert "haven't joined" in await site.talk.say(stranger, "/dashboard")
    # Even a link made for her with the right key (as if she had organised an event once) opens nothing.
    async with site.database.transaction() as session:
        member = (await session.scalars(select(Member).where(Member.platform_user_id == "ann"))).one()
        link = await site.links.issue(session, member, site.clock.now())
    async with httpx.AsyncClient(base_url=site.url) as client:
        page = await client.get(link)
        refused = await client.post("/dashboard/signin", data={"csrf": csrf_of(page.text), "token": token_of(link)})
        assert refused.status_code == 403 and "Only the organisers" in refused.text
        assert (await client.get("/dashboard/")).status_code == 401
    assert code


async def test_in_a_group_chat_the_link_is_not_posted(site: Site) -> None:
    await site.seed()
    actions = await site.core.handle(Command(OLIVIA, "dashboard", chat=Chat("-100", "group", "Team")))
    assert "private chat" in actions[0].message.plain_text() and "http" not in actions[0].message.plain_text()


async def test_another_organisers_event_is_forbidden_everywhere(any_site: Site) -> None:
    site = any_site
    mine = await site.event_id(await site.seed())
    theirs = await site.event_id(await site.create(OSCAR, "Oscar's Meetup"))
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client, OSCAR)
        events = await client.get("/dashboard/")
        assert "Oscar&#39;s Meetup" in events.text and "Tech Mixer" not in events.text
        assert (await client.get(f"/dashboard/events/{theirs}")).status_code == 200
        before = await snapshot(site.database)
        for path in ("", "/attendees", "/attendees.csv", "/campaign", "/broadcasts", "/chart.png"):
            response = await client.get(f"/dashboard/events/{mine}{path}")
            assert response.status_code == 403, path
            assert "Ann" not in response.text
        assert (await client.get("/dashboard/events/999999")).status_code == 403  # no hint whether it exists
        csrf = csrf_of(events.text)
        posts = {
            "/broadcasts/preview": {"text": "Hi", "audience": "all"},
            "/broadcasts/confirm": {"token": "x"},
            "/broadcasts/1/cancel": {},
            "/campaign/change": {"key": "reminder", "action": "off"},
            "/campaign/confirm": {"token": "x"},
        }
        for path, data in posts.items():
            response = await client.post(f"/dashboard/events/{mine}{path}", data={"csrf": csrf, **data})
            assert response.status_code == 403, path
        assert await snapshot(site.database) == before


async def test_every_form_needs_the_sessions_csrf_token(site: Site) -> None:
    event_id = await site.event_id(await site.seed())
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client)
        page = await client.get(f"/dashboard/events/{event_id}/broadcasts")
        csrf = csrf_of(page.text)
        before = await snapshot(site.database)
        forms = {
            f"/dashboard/events/{event_id}/broadcasts/preview": {"text": "Hi", "audience": "all"},
            f"/dashboard/events/{event_id}/campaign/change": {"key": "reminder", "action": "off"},
            "/dashboard/signout": {},
        }
        for path, data in forms.items():
            for bad in ({}, {"csrf": ""}, {"csrf": csrf[:-1] + ("a" if csrf[-1] != "a" else "b")}):
                response = await client.post(path, data={**data, **bad})
                assert response.status_code == 403 and "did not come from this page" in response.text, (path, bad)
        assert await snapshot(site.database) == before
        assert (await client.get("/dashboard/")).status_code == 200  # still signed in: nothing happened
        # Another browser's token is not this one's either.
        async with httpx.AsyncClient(base_url=site.url) as other:
            await sign_in(site, other)
            theirs = csrf_of((await other.get("/dashboard/")).text)
        response = await client.post(
            f"/dashboard/events/{event_id}/campaign/change", data={"csrf": theirs, "key": "reminder", "action": "off"}
        )
        assert response.status_code == 403


async def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(site: Site) -> None:
    await site.seed()
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client)
        copied = dict(client.cookies)
        page = await client.get("/dashboard/")
        out = await client.post("/dashboard/signout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 200 and "signed out" in out.text
    async with httpx.AsyncClient(base_url=site.url, cookies=copied) as thief:
        assert (await thief.get("/dashboard/")).status_code == 401


async def test_a_session_ends_after_twelve_hours(site: Site, clock: ManualClock) -> None:
    await site.seed()
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client)
        clock.advance(timedelta(hours=11, minutes=59))
        assert (await client.get("/dashboard/")).status_code == 200
        clock.advance(timedelta(minutes=2))
        assert (await client.get("/dashboard/")).status_code == 401


@pytest.mark.parametrize("public_url", [None, "https://icebreaker.example.org"])
async def test_the_cookie_is_httponly_lax_and_secure_behind_https(
    sqlite_database: Database, clock: ManualClock, public_url: str | None
) -> None:
    settings = Settings(database_url="sqlite:///unused.db", public_url=public_url)
    async for site in _site(sqlite_database, clock, settings):
        await site.seed()
        async with httpx.AsyncClient(base_url=site.url) as client:
            response = await sign_in(site, client)
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/dashboard" in cookie
        assert ("; secure" in cookie) == (public_url is not None)
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_without_a_public_url_the_link_is_the_local_address(site: Site) -> None:
    await site.seed()
    assert (await site.link()).startswith(f"http://127.0.0.1:{site.http.port}/dashboard/signin/")


async def test_the_link_uses_the_public_url_when_set(sqlite_database: Database, clock: ManualClock) -> None:
    async for site in _site(sqlite_database, clock):
        await site.seed()
    public = DashboardLinks(generate_key(), lambda: "https://icebreaker.example.org")
    async with sqlite_database.transaction() as session:
        olivia = (await session.scalars(select(Member).where(Member.platform_user_id == "olivia"))).one()
        assert (await public.issue(session, olivia, clock.now())).startswith(
            "https://icebreaker.example.org/dashboard/signin/"
        )


async def test_the_generated_key_is_kept_and_shared_and_has_fernets_shape(
    database: Database, clock: ManualClock
) -> None:
    first, second = await asyncio.gather(signing_key(None, database, clock), signing_key(None, database, clock))
    assert first == second == await signing_key(None, database, clock)
    assert len(base64.urlsafe_b64decode(first)) == 32 and len(first) == 44
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AppSecret)) == 1
    assert await signing_key("x" * 40, database, clock) == "x" * 40  # a configured key wins


async def test_two_replicas_racing_with_one_link_let_exactly_one_in(
    postgres_database: Database, clock: ManualClock
) -> None:
    """Single use across processes: two services on one PostgreSQL database redeem the same token at once."""
    key = await signing_key(None, postgres_database, clock)
    replicas = [Dashboard(postgres_database, clock, DashboardLinks(key, lambda: "http://x")) for _ in range(2)]
    core = Core(postgres_database, clock, Policy(), links=replicas[0].links)
    await Talk(core).say(OLIVIA, '/newevent "E" 2026-12-10 18:30 Europe/London')
    for _ in range(5):
        link = (await Talk(core).say(OLIVIA, "/dashboard")).split("\n")[1]
        results = await asyncio.gather(*(r.sign_in(token_of(link)) for r in replicas), return_exceptions=True)
        assert sum(not isinstance(r, BaseException) for r in results) == 1, results
        assert all(isinstance(r, LinkRefused) for r in results if isinstance(r, BaseException))
    async with postgres_database.transaction() as session:
        used = await session.scalar(select(func.count()).where(DashboardPass.used_at.is_not(None)))
    assert used == 5


async def test_a_confirmation_works_once(site: Site) -> None:
    event_id = await site.event_id(await site.seed())
    async with httpx.AsyncClient(base_url=site.url) as client:
        await sign_in(site, client)
        csrf = csrf_of((await client.get("/dashboard/")).text)
        preview = await client.post(
            f"/dashboard/events/{event_id}/broadcasts/preview", data={"csrf": csrf, "text": "Hello", "audience": "all"}
        )
        token = preview.text.split('name="token" value="')[1].split('"')[0]
        first = await client.post(
            f"/dashboard/events/{event_id}/broadcasts/confirm", data={"csrf": csrf, "token": token}
        )
        again = await client.post(
            f"/dashboard/events/{event_id}/broadcasts/confirm", data={"csrf": csrf, "token": token}
        )
        assert first.status_code == 303 and again.status_code == 400 and "already confirmed" in again.text
        # and a confirmation of one page cannot be replayed on another
        step = await client.post(
            f"/dashboard/events/{event_id}/campaign/change", data={"csrf": csrf, "key": "welcome", "action": "off"}
        )
        step_token = step.text.split('name="token" value="')[1].split('"')[0]
        crossed = await client.post(
            f"/dashboard/events/{event_id}/broadcasts/confirm", data={"csrf": csrf, "token": step_token}
        )
        assert crossed.status_code == 400
    async with site.database.transaction() as session:
        broadcasts = select(func.count()).select_from(Broadcast).where(~Broadcast.audience.startswith("round:"))
        assert await session.scalar(broadcasts) == 1


async def test_mydata_lists_the_members_dashboard_passes_and_forget_erases_them(site: Site) -> None:
    await site.seed()
    await site.link()
    exported = await site.talk.say(OLIVIA, "/mydata")
    assert '"dashboard_sign_ins"' in exported and '"purpose": "signin"' in exported
    await site.talk.say(OLIVIA, "/forget")
    await site.talk.press(OLIVIA, "Yes, erase me")
    async with site.database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(DashboardPass)) == 0
