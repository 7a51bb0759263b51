"""The session type the core passes along: ``bot/`` names it from here and never imports SQLAlchemy itself."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession

__all__ = ["AsyncSession"]
