"""The dashboard's routes: HTTP in, a call to ``bot.services.dashboard.Dashboard``, HTML out.

Every page needs a signed-in organiser; every POST needs the session's CSRF token; anything that changes an
event is shown first and changed only by a second, one-time confirmation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from adapters.dashboard import web
from adapters.dashboard.web import PREFIX, CsrfRefused, checked_form, field
from bot.errors import UserError
from bot.services.dashboard.broadcasts import Draft
from bot.services.dashboard.campaign import Change, quoted
from bot.services.dashboard.service import Dashboard, Viewer
from bot.services.dashboard.signin import SESSION_LIFETIME, Forbidden, LinkRefused

AUDIENCES = (
    ("all", "Everyone"),
    ("answered", "Answered the poll"),
    ("unanswered", "Did not answer the poll"),
    ("rsvp-yes", "RSVP: coming"),
    ("rsvp-no", "RSVP: not coming"),
    ("rsvp-unknown", "RSVP: no answer"),
)


class NotSignedIn(Exception):
    pass


class DashboardApp:
    def __init__(self, service: Dashboard, *, secret_key: str, https_only: bool) -> None:
        self.service = service
        self.templates = web.templates()
        self.secret_key = secret_key
        self.https_only = https_only

    def app(self) -> Starlette:
        event = "/events/{event_id:int}"
        routes = [
            Route("/", self.events, methods=["GET"]),
            Route("/signin/{token:str}", self.signin_page, methods=["GET"]),
            Route("/signin", self.signin, methods=["POST"]),
            Route("/signout", self.signout, methods=["POST"]),
            Route(event, self.overview, methods=["GET"]),
            Route(event + "/chart.png", self.chart, methods=["GET"]),
            Route(event + "/attendees", self.attendees, methods=["GET"]),
            Route(event + "/attendees.csv", self.attendees_csv, methods=["GET"]),
            Route(event + "/campaign", self.campaign, methods=["GET"]),
            Route(event + "/campaign/change", self.propose_change, methods=["POST"]),
            Route(event + "/campaign/confirm", self.confirm_change, methods=["POST"]),
            Route(event + "/broadcasts", self.broadcasts, methods=["GET"]),
            Route(event + "/broadcasts/preview", self.preview_broadcast, methods=["POST"]),
            Route(event + "/broadcasts/confirm", self.confirm_broadcast, methods=["POST"]),
            Route(event + "/broadcasts/{broadcast_id:int}/cancel", self.cancel_broadcast, methods=["POST"]),
            Mount("/static", app=StaticFiles(packages=[("adapters.dashboard", "static")]), name="static"),
        ]
        middleware = [
            Middleware(web.SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=self.secret_key,
                session_cookie=web.COOKIE,
                max_age=int(SESSION_LIFETIME / timedelta(seconds=1)),
                path=PREFIX,
                same_site="lax",
                https_only=self.https_only,
            ),
        ]
        handlers: dict[Any, Any] = {
            NotSignedIn: self._not_signed_in,
            Forbidden: self._forbidden,
            CsrfRefused: self._csrf_refused,
            LinkRefused: self._link_refused,
        }
        return Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)

    # Pages

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("viewer", None)
        context.setdefault("error", None)
        context["notice"] = web.take_notice(request)
        context["csrf"] = web.csrf_token(request)
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    async def viewer(self, request: Request) -> Viewer:
        who = web.signed_in(request)
        viewer = await self.service.viewer(who) if who is not None else None
        if viewer is None:
            raise NotSignedIn()
        return viewer

    # Signing in and out

    async def signin_page(self, request: Request) -> Response:
        """Opening the link only shows a button: link previews (a chat unfurling it) must not use it up."""
        token = str(request.path_params["token"])
        await self.service.check_link(token)
        return self.page(request, "signin.html", token=token)

    async def signin(self, request: Request) -> Response:
        form = await checked_form(request)
        who = await self.service.sign_in(field(form, "token"))
        web.remember(request, who)
        return RedirectResponse(f"{PREFIX}/", status_code=303)

    async def signout(self, request: Request) -> Response:
        await checked_form(request)
        who = web.signed_in(request)
        if who is not None:
            await self.service.sign_out(who)
        request.session.clear()
        return self.page(request, "message.html", title="Signed out", text="You are signed out.")

    # Reading

    async def events(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        return self.page(request, "events.html", viewer=viewer, events=await self.service.events(viewer))

    async def overview(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        overview = await self.service.overview(viewer, int(request.path_params["event_id"]))
        return self.page(request, "event.html", viewer=viewer, event=overview.event, overview=overview, tab="event")

    async def chart(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        png = await self.service.chart(viewer, int(request.path_params["event_id"]))
        return Response(png, media_type="image/png")

    async def attendees(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        table = await self.service.attendees(viewer, int(request.path_params["event_id"]), dict(request.query_params))
        return self.page(request, "attendees.html", viewer=viewer, event=table.event, table=table, tab="attendees")

    async def attendees_csv(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        event_id = int(request.path_params["event_id"])
        name, text = await self.service.attendees_csv(viewer, event_id, dict(request.query_params))
        headers = {"content-disposition": f'attachment; filename="{name}"'}
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)

    async def campaign(self, request: Request, *, error: str | None = None, status: int = 200) -> Response:
        viewer = await self.viewer(request)
        event, steps = await self.service.campaign(viewer, int(request.path_params["event_id"]))
        return self.page(
            request, "campaign.html", status, viewer=viewer, event=event, steps=steps, tab="campaign", error=error
        )

    async def broadcasts(
        self, request: Request, *, error: str | None = None, draft: Draft | None = None, status: int = 200
    ) -> Response:
        viewer = await self.viewer(request)
        page = await self.service.broadcasts(viewer, int(request.path_params["event_id"]))
        return self.page(
            request,
            "broadcasts.html",
            status,
            viewer=viewer,
            event=page.event,
            page=page,
            draft=draft or Draft(),
            audiences=self._audiences(page.interests),
            tab="broadcasts",
            error=error,
        )

    # Changing: preview, then confirm

    async def propose_change(self, request: Request) -> Response:
        form = await checked_form(request)
        viewer = await self.viewer(request)
        event_id = int(request.path_params["event_id"])
        try:
            key, action = field(form, "key", 40), field(form, "action", 8)
            offset, at = field(form, "offset", 8), field(form, "at", 8)
            pending = await self.service.propose_step_change(viewer, event_id, key, action, offset, at)
        except UserError as refusal:
            return await self.campaign(request, error=refusal.message, status=400)
        event, _ = await self.service.campaign(viewer, event_id)
        return self.page(request, "confirm_step.html", viewer=viewer, event=event, pending=pending, tab="campaign")

    async def confirm_change(self, request: Request) -> Response:
        form = await checked_form(request)
        viewer = await self.viewer(request)
        event_id = int(request.path_params["event_id"])
        try:
            change = await self.service.confirm_step_change(viewer, event_id, field(form, "token"))
        except UserError as refusal:
            return await self.campaign(request, error=refusal.message, status=409)
        web.notice(request, _done(change))
        return RedirectResponse(f"{PREFIX}/events/{event_id}/campaign", status_code=303)

    async def preview_broadcast(self, request: Request) -> Response:
        form = await checked_form(request)
        viewer = await self.viewer(request)
        event_id = int(request.path_params["event_id"])
        draft = Draft(
            field(form, "text", 5000), field(form, "audience", 100), field(form, "date", 20), field(form, "time", 10)
        )
        try:
            pending = await self.service.preview_broadcast(viewer, event_id, draft)
        except UserError as refusal:
            return await self.broadcasts(request, error=refusal.message, draft=draft, status=400)
        page = await self.service.broadcasts(viewer, event_id)
        return self.page(
            request,
            "broadcast_preview.html",
            viewer=viewer,
            event=page.event,
            page=page,
            pending=pending,
            preview=pending.preview,
            draft=draft,
            audiences=self._audiences(page.interests),
            tab="broadcasts",
        )

    async def confirm_broadcast(self, request: Request) -> Response:
        form = await checked_form(request)
        viewer = await self.viewer(request)
        event_id = int(request.path_params["event_id"])
        try:
            sent = await self.service.confirm_broadcast(viewer, event_id, field(form, "token"))
        except UserError as refusal:
            return await self.broadcasts(request, error=refusal.message, status=409)
        if sent.when is not None:
            web.notice(request, f"Scheduled for {web.when(sent.when)}: it will go to the audience as it is then.")
        elif sent.recipients:
            web.notice(request, f"Queued for {sent.recipients} recipient{'s' if sent.recipients != 1 else ''}.")
        else:
            web.notice(request, "Nobody to send to: no active member matches that audience.")
        return RedirectResponse(f"{PREFIX}/events/{event_id}/broadcasts", status_code=303)

    async def cancel_broadcast(self, request: Request) -> Response:
        await checked_form(request)
        viewer = await self.viewer(request)
        event_id = int(request.path_params["event_id"])
        try:
            await self.service.cancel_broadcast(viewer, event_id, int(request.path_params["broadcast_id"]))
        except UserError as refusal:
            return await self.broadcasts(request, error=refusal.message, status=409)
        web.notice(request, "Cancelled: that broadcast will not go out.")
        return RedirectResponse(f"{PREFIX}/events/{event_id}/broadcasts", status_code=303)

    @staticmethod
    def _audiences(interests: tuple[str, ...]) -> list[tuple[str, str]]:
        return [*AUDIENCES, *((f"interest:{label}", f"Interest: {label}") for label in interests)]

    # Refusals

    async def _not_signed_in(self, request: Request, error: Exception) -> Response:
        text = "You are not signed in (or your session has ended). Send /dashboard to the bot for a sign-in link."
        return self.page(request, "message.html", 401, title="Sign in", text=text)

    async def _forbidden(self, request: Request, error: Exception) -> Response:
        text = "Only the organisers of an event can see it here."
        return self.page(request, "message.html", 403, title="Not yours", text=text)

    async def _csrf_refused(self, request: Request, error: Exception) -> Response:
        text = "This form did not come from this page (or the page is too old). Reload it and try again."
        return self.page(request, "message.html", 403, title="Form refused", text=text)

    async def _link_refused(self, request: Request, error: Exception) -> Response:
        assert isinstance(error, LinkRefused)
        return self.page(request, "message.html", 400, title="Link refused", text=error.message)


def _done(change: Change) -> str:
    if change.action == "move":
        return f"Moved {quoted(change.title)} to {web.when(change.after)}."
    return f"Turned {quoted(change.title)} {change.action}."
