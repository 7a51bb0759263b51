"""The organiser's web dashboard: Starlette routes on the process's own HTTP server, Jinja2 templates and
every asset shipped in this package. A translator between HTTP and ``bot.services.dashboard``."""

from __future__ import annotations

from adapters.dashboard.app import DashboardApp
from adapters.dashboard.web import PREFIX
from adapters.http import HttpServer
from bot.services.dashboard.service import Dashboard
from bot.settings import Settings

__all__ = ["PREFIX", "DashboardApp", "build", "local_url"]


def local_url(http: HttpServer) -> str:
    """The dashboard's address when no public one is set: the server's own (known once it listens)."""
    host = "localhost" if http.host in ("0.0.0.0", "::", "") else http.host
    return f"http://{host}:{http.port}"


def build(settings: Settings, service: Dashboard, http: HttpServer) -> DashboardApp:
    """Mount the dashboard on ``http`` (before it starts)."""
    dashboard = DashboardApp(service, secret_key=service.links.secret_key, https_only=settings.behind_https)
    http.mount(PREFIX, dashboard.app())
    return dashboard
