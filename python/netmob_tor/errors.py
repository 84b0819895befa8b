"""Errors a user can fix: printed as one line by the command line (a traceback only with --debug)."""


class UserError(Exception):
    """A problem with the user's input, files or setup; its message says what to fix."""
