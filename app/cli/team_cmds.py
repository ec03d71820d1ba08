"""`fieldmark team init URL` and `fieldmark team add-user URL NAME --role ROLE`: roles of a team project."""

from __future__ import annotations

import argparse

from app.cli.common import CliError
from app.storage.errors import ProjectError
from app.storage.location import parse_location
from app.storage.team import ROLES, add_user, init_team


def cmd_team(args: argparse.Namespace) -> int:
    try:
        location = parse_location(args.project)
        if args.team_command == "init":
            roles = init_team(location)
            print(f"team roles ready in {location}: {', '.join(roles)}")
        else:
            created = add_user(location, args.name, args.role)
            print(f"{args.name} is now {args.role} of {location}")
            if created:
                print(f"set {args.name}'s password with PostgreSQL's tools (psql: \\password {args.name}); "
                      "Fieldmark never handles it")
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("team", help="roles of a team project (PostgreSQL): admin, reviewer, annotator")
    team = p.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    init = team.add_parser("init", help="create the roles, grants and row-level security (as the owner)")
    init.add_argument("project", help="postgresql://user@host:port/dbname")
    init.set_defaults(func=cmd_team)
    add = team.add_parser("add-user", help="create a login (if missing) and give it one role")
    add.add_argument("project", help="postgresql://user@host:port/dbname")
    add.add_argument("name", help="the PostgreSQL login name (a job's assignee)")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(func=cmd_team)
