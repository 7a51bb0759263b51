"""Campaigns: each event's steps at offsets from its date, stored as rows and fired once when due."""
