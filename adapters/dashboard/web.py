"""The dashboard's HTTP plumbing: templates, the session (who is signed in), CSRF on every form, headers.

The session is Starlette's signed cookie (itsdangerous), HttpOnly and SameSite=Lax, Secure behind HTTPS. It
holds who signed in (the sign-in pass's id, checked against the database on every request, so signing out
ends it everywhere), a CSRF token and a one-shot notice for the next page.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.messages import Mention, Run, Style
from bot.messages import Message as ChatMessage
from bot.services.dashboard.signin import SignedIn

PREFIX = "/dashboard"
COOKIE = "icebreaker_dashboard"
CSRF_FIELD = "csrf"
SECURITY_HEADERS = {
    # Everything is served from here: no CDN, no inline script or style, never framed, no referrer (a sign-in
    # link's token must not leak to another site).
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


class CsrfRefused(Exception):
    """A form without the session's CSRF token (another site's form, or an expired page)."""


def templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("adapters.dashboard", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["when"] = when
    environment.filters["message_html"] = message_html
    environment.filters["percent"] = percent
    environment.filters["audience"] = audience_label
    environment.globals["prefix"] = PREFIX
    return Jinja2Templates(env=environment)


def when(moment: datetime | None, zone: str | None = None) -> str:
    """A moment as people read it; in ``zone`` when given (otherwise in the zone it carries)."""
    if moment is None:
        return "—"
    return f"{(moment.astimezone(ZoneInfo(zone)) if zone else moment):%a %d %b %Y, %H:%M}"


AUDIENCE_WORDS = {
    "all": "everyone",
    "answered": "members who answered the poll",
    "unanswered": "members who did not answer the poll",
    "rsvp-yes": "members coming (RSVP yes)",
    "rsvp-no": "members not coming (RSVP no)",
    "rsvp-unknown": "members who have not answered the RSVP",
}


def audience_label(audience: str) -> str:
    if audience.startswith("interest:"):
        return f"members interested in {audience.removeprefix('interest:')}"
    return AUDIENCE_WORDS.get(audience, audience)


def percent(part: int, whole: int) -> int:
    """The bar's width in whole percent of ``whole`` (at least 1 for a non-zero part, so it is visible)."""
    if whole <= 0 or part <= 0:
        return 0
    return max(1, round(100 * part / whole))


def message_html(message: ChatMessage) -> Markup:
    """A chat message as members will see it: every run escaped, styles as elements, one line per line."""
    lines = []
    for line in message.lines:
        pieces = []
        for piece in line:
            if isinstance(piece, Mention):
                pieces.append(escape(piece.display_name))
            elif isinstance(piece, Run):
                tag = {Style.BOLD: "strong", Style.ITALIC: "em", Style.CODE: "code"}.get(piece.style)
                pieces.append(Markup(f"<{tag}>{escape(piece.text)}</{tag}>") if tag else escape(piece.text))
        lines.append(Markup("").join(pieces))
    return Markup("<br>").join(lines)


def signed_in(request: Request) -> SignedIn | None:
    who = request.session.get("who")
    if isinstance(who, dict) and isinstance(who.get("m"), int) and isinstance(who.get("p"), int):
        return SignedIn(who["m"], who["p"])
    return None


def remember(request: Request, who: SignedIn) -> None:
    """A fresh session for who signed in (a new CSRF token too: nothing from before sign-in carries over)."""
    request.session.clear()
    request.session["who"] = {"m": who.member_id, "p": who.pass_id}
    request.session[CSRF_FIELD] = secrets.token_urlsafe(24)


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session[CSRF_FIELD] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, if it carries this session's CSRF token."""
    form = await request.form(max_files=0, max_fields=50, max_part_size=64 * 1024)
    given, expected = form.get(CSRF_FIELD), request.session.get(CSRF_FIELD)
    if not isinstance(given, str) or not isinstance(expected, str) or not hmac.compare_digest(given, expected):
        raise CsrfRefused()
    return form


def field(form: FormData, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def notice(request: Request, text: str) -> None:
    """A line for the next page ("Queued for 12 members")."""
    request.session["notice"] = text


def take_notice(request: Request) -> str | None:
    value = request.session.pop("notice", None)
    return value if isinstance(value, str) else None


Endpoint = Callable[[Request], Awaitable[Response]]


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every response of the dashboard."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {name.decode().lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
