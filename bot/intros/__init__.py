"""Introductions: turning the matcher's groups into stored rounds, messages, answers and follow-ups."""
