"""docs/cli.md, generated from the command line's parser: the list of subcommands has no other home."""

from __future__ import annotations

import argparse


def commands_markdown() -> str:
    """docs/cli.md: every subcommand with its one-line help, from the parser itself (never a hand-kept list)."""
    from netmob_tor.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    lines = ["# The command line", "",
             "Generated from the parser by `.venv/bin/python -m netmob_tor.cli_doc > docs/cli.md` (tests/test_cli.py checks "
             "it is current). `.venv/bin/netmob-tor <command> --help` gives each command's options.", "",
             "| command | what it does |", "| --- | --- |"]
    lines += [f"| `netmob-tor {name}` | {helps.get(name, '')} |" for name in sorted(action.choices)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(commands_markdown(), end="")
