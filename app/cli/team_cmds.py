"""`fieldmark team init URL`, `fieldmark team add-user URL NAME --role ROLE`, `fieldmark team users URL`: roles of a
team project; `fieldmark team map-media URL LOCAL_PATH`: where this workstation mounts the project's media root."""

from __future__ import annotations

import argparse
from pathlib import Path

from app import settings
from app.cli.common import CliError
from app.storage.errors import ProjectError
from app.storage.location import Location, parse_location
from app.storage.team import ROLES, add_user, init_team, list_users


def cmd_team(args: argparse.Namespace) -> int:
    try:
        location = parse_location(args.project)
        if args.team_command == "init":
            roles = init_team(location)
            print(f"team roles ready in {location}: {', '.join(roles)}")
        elif args.team_command == "map-media":
            return _map_media(location, args.local_path)
        elif args.team_command == "users":
            for user in list_users(location):
                print(f"{user.name}\t{user.role}")
        else:
            created = add_user(location, args.name, args.role)
            print(f"{args.name} is now {args.role} of {location}")
            if created:
                print(f"set {args.name}'s password with PostgreSQL's tools (psql: \\password {args.name}); "
                      "Fieldmark never handles it")
    except ProjectError as exc:
        raise CliError(str(exc)) from exc
    return 0


def _map_media(location: Location, local_path: str) -> int:
    if not location.is_postgres:
        raise CliError(f"{location} is a project file: its media paths are relative to its own folder; only a team "
                       "project's media root is mapped per workstation.")
    if local_path == "":
        settings.map_media_root(location, None)
        print(f"{location}: this workstation uses the project's own media root again")
        return 0
    folder = Path(local_path).expanduser()
    if not folder.is_dir():
        raise CliError(f"{folder} is not a folder on this workstation; mount the team's media there first.")
    settings.map_media_root(location, folder)
    print(f"{location}: media root mapped to {folder.resolve()} on this workstation ({settings.settings_path()})")
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
    users = team.add_parser("users", help="list the project's users and their roles")
    users.add_argument("project", help="postgresql://user@host:port/dbname")
    users.set_defaults(func=cmd_team)
    media = team.add_parser("map-media", help="where this workstation mounts the project's media root (kept in "
                                              "this workstation's settings, not in the shared database)")
    media.add_argument("project", help="postgresql://user@host:port/dbname")
    media.add_argument("local_path", metavar="LOCAL_PATH", help="the local folder ('' removes the mapping)")
    media.set_defaults(func=cmd_team)
