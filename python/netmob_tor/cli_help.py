"""`--help` that helps: each option's default shown once, required options marked, one formatter for every parser."""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Appends `(default: X)` unless the help already names its default or there is none (None, False, a
    suppressed value), and `(required)` to a required option."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.required and action.option_strings:
            return f"{text} (required)".strip()
        if "default" in text.lower() or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        if isinstance(action, argparse._StoreConstAction | argparse._HelpAction | argparse._VersionAction):
            return text
        return f"{text} (default: %(default)s)".strip()


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An ArgumentParser of a netmob-tor subcommand with the project's help formatter."""
    return argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)

