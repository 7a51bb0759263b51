"""Signing in to the dashboard without a password: a one-time link from the chat, then a session.

A link carries a signed (itsdangerous) token naming the organiser, a random nonce and an expiry 15 minutes
ahead on the bot's clock. Only a hash of the nonce is stored; opening the link marks it used in one
conditional UPDATE, so it works once, on any replica. The session it opens is that same row: signing out
ends it for every copy of the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from bot.clock import Clock
from bot.errors import IcebreakerError
from storage import dashboard as passes
from storage import events as event_queries
from storage.database import Database
from storage.models import Member
from storage.session import AsyncSession

LINK_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
CONFIRM_LIFETIME = timedelta(hours=2)
SIGNIN_PATH = "/dashboard/signin/"
SECRET_NAME = "secret_key"
RELINK = "Send /dashboard to the bot for a new one."
AGAIN = "Nothing was done: look at the change again and confirm it then."


class LinkRefused(IcebreakerError):
    """A sign-in link (or a confirmation) that cannot be used; ``message`` says why, safely."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Forbidden(IcebreakerError):
    """The signed-in member may not see or change this (not an organiser of the event)."""


def generate_key() -> str:
    """A Fernet-format key (32 random bytes, url-safe base64), so that encrypting with it later just works."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


async def signing_key(configured: str | None, database: Database, clock: Clock) -> str:
    """``ICEBREAKER_SECRET_KEY`` when set; otherwise the key kept in the database, made at first start (every
    replica and every restart then reads the same one, so links and sessions survive them)."""
    if configured:
        return configured
    async with database.transaction() as session:
        return await passes.secret(session, SECRET_NAME, generate_key, clock.now())


@dataclass(frozen=True, slots=True)
class SignedIn:
    """What a dashboard session cookie holds."""

    member_id: int
    pass_id: int


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


class DashboardLinks:
    """Issues and redeems sign-in links and confirmation tokens; ``base_url`` is read when a link is made
    (the HTTP server's port is known only once it listens)."""

    def __init__(self, secret_key: str, base_url: Callable[[], str]) -> None:
        self.secret_key = secret_key
        self._base_url = base_url
        self._links = URLSafeSerializer(secret_key, salt="icebreaker.dashboard.signin")
        self._confirmations = URLSafeSerializer(secret_key, salt="icebreaker.dashboard.confirm")

    @property
    def base_url(self) -> str:
        return self._base_url()

    async def issue(self, session: AsyncSession, member: Member, now: datetime) -> str:
        """A fresh sign-in link for ``member`` (who must organise an event: the caller checks)."""
        await passes.purge_passes(session, now, SESSION_LIFETIME)
        nonce = secrets.token_urlsafe(24)
        expires = now + LINK_LIFETIME
        await passes.add_pass(session, member.id, _hash(nonce), "signin", now, expires)
        token = self._links.dumps({"m": member.id, "n": nonce, "e": int(expires.timestamp())})
        return f"{self.base_url}{SIGNIN_PATH}{token}"

    async def check(self, session: AsyncSession, token: str, now: datetime) -> int:
        """The member a link is for, if it can still be used; otherwise :class:`LinkRefused` says why."""
        member_id, nonce = self._read(self._links, token, now)
        row = await passes.find_pass(session, _hash(nonce))
        if row is None or row.member_id != member_id or row.purpose != "signin":
            raise LinkRefused("This sign-in link is not valid. Send /dashboard to the bot for a new one.")
        if row.used_at is not None:
            raise LinkRefused("This sign-in link has already been used. Send /dashboard to the bot for a new one.")
        return member_id

    async def redeem(self, session: AsyncSession, token: str, now: datetime) -> SignedIn:
        """Use the link (once) and open a session; refused if it was used, expired or is not an organiser's."""
        member_id = await self.check(session, token, now)
        _, nonce = self._read(self._links, token, now)
        pass_id = await passes.use_pass(session, _hash(nonce), "signin", member_id, now)
        if pass_id is None:  # another tab or replica used it a moment ago
            raise LinkRefused("This sign-in link has already been used. Send /dashboard to the bot for a new one.")
        if not await event_queries.organised_by(session, member_id):
            raise Forbidden()
        return SignedIn(member_id, pass_id)

    async def is_open(self, session: AsyncSession, signed_in: SignedIn, now: datetime) -> bool:
        return await passes.session_open(session, signed_in.pass_id, signed_in.member_id, now - SESSION_LIFETIME)

    async def sign_out(self, session: AsyncSession, signed_in: SignedIn, now: datetime) -> None:
        await passes.end_session(session, signed_in.pass_id, now)

    # Confirmations: what a preview showed, signed, usable once.

    async def confirmation(self, session: AsyncSession, member_id: int, content: dict[str, Any], now: datetime) -> str:
        nonce = secrets.token_urlsafe(18)
        expires = now + CONFIRM_LIFETIME
        await passes.add_pass(session, member_id, _hash(nonce), "confirm", now, expires)
        return self._confirmations.dumps({"m": member_id, "n": nonce, "e": int(expires.timestamp()), "c": content})

    async def confirm(self, session: AsyncSession, member_id: int, token: str, now: datetime) -> dict[str, Any]:
        """The content a confirmation token carries, once; a second use (a double click, a reload) is refused."""
        owner, nonce = self._read(self._confirmations, token, now, what="confirmation", again=AGAIN)
        if owner != member_id or await passes.use_pass(session, _hash(nonce), "confirm", member_id, now) is None:
            raise LinkRefused("This was already confirmed (or has expired): nothing more was done.")
        content = self._confirmations.loads(token)["c"]
        assert isinstance(content, dict)
        return content

    @staticmethod
    def _read(
        serializer: URLSafeSerializer, token: str, now: datetime, what: str = "sign-in link", again: str = RELINK
    ) -> tuple[int, str]:
        try:
            data = serializer.loads(token)
        except BadSignature:
            raise LinkRefused(f"This {what} is not valid. {again}") from None
        if not (isinstance(data, dict) and isinstance(data.get("m"), int) and isinstance(data.get("n"), str)):
            raise LinkRefused(f"This {what} is not valid. {again}")
        expiry = data.get("e")
        if not isinstance(expiry, int) or now.timestamp() >= expiry:
            raise LinkRefused(f"This {what} has expired. {again}")
        return data["m"], data["n"]
