"""Errors a user can fix: printed by the CLI as one line, as they are (a traceback only with --debug)."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the command, its arguments or the warehouse it points at; the message says what to fix."""
