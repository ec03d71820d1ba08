"""`fieldmark models list|add|remove|trust|verify|download`: checkpoints, the offline Hugging Face
cache and registered functions."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.common import CliError
from app.models import hf_cache
from app.models.functions import parse_params
from app.models.manager import CHECKPOINT_SUFFIXES, ModelError, ModelManager, UnsafeModelError
from app.models.registry import Registration, Registry, RegistryError


def _registry() -> Registry:
    try:
        return Registry()
    except RegistryError as exc:
        raise CliError(str(exc)) from exc


def cmd_models_list(args: argparse.Namespace) -> int:
    from app.models import catalog

    manager = ModelManager()
    installed = {m.path.name: m for m in manager.installed()}
    print(f"models folder: {manager.root}")
    for entry in catalog.CATALOG:
        state = "installed" if entry.filename in installed else "missing"
        print(f"  {entry.name:18} {entry.task:12} {entry.filename:28} {state}")
    for name, model in installed.items():
        if model.entry is None:
            print(f"  {name:18} {'local':12} {name:28} installed")
    hub = hf_cache.placed(manager.root)
    if hub:
        print(f"Hugging Face cache (offline): {hf_cache.hub_cache(manager.root)}")
        for model in hub:
            print(f"  {model.repo_id:34} {', '.join(model.files)}")
    registry = _registry()
    if len(registry):
        print("registered:")
        for item in registry:
            params = " ".join(f"-p {p}" for p in item.params)
            print(f"  {item.name:18} {item.kind:16} {item.target} {params}".rstrip())
    return 0


def _add_checkpoint(args: argparse.Namespace, manager: ModelManager) -> None:
    source = Path(args.path).expanduser()
    if args.hf_id:
        hf_cache.check_repo_id(args.hf_id)
        if not source.exists():
            raise ModelError(f"{source}: no such file or folder")
        files = [source] if source.is_file() else sorted(source.rglob("*")) if source.is_dir() else []
        for path in files:
            if path.is_file() and path.suffix.lower() in CHECKPOINT_SUFFIXES:
                _check_or_trust(manager, path, args.trust)
        placed = hf_cache.place(manager.root, source, args.hf_id, filename=args.hf_filename)
        manager.notify()
        print(f"placed {args.hf_id} ({', '.join(placed.files)}) in {placed.folder}; functions loading it "
              "through huggingface_hub find it offline")
        return
    if args.accept_licence or _is_sam3_file(source):
        from app.models.sam3.checkpoint import import_checkpoint
        from app.models.sam3.licence import LICENCE_NAME

        path = import_checkpoint(source, accept_licence=args.accept_licence, manager=manager,
                                 overwrite=args.overwrite)
        print(f"added SAM 3 checkpoint {path} (SHA-256 recorded; {LICENCE_NAME} accepted)")
        if args.name:  # e.g. -p prompts=str:car=parked car: a named SAM 3 set-up the GUI lists too
            Registry().add(Registration(args.name, "model", str(path), list(args.param or []),
                                        args.description or ""))
        return
    path = manager.add(source, overwrite=args.overwrite, trust=args.trust)
    if args.name:
        Registry().add(Registration(args.name, "model", str(path), list(args.param or []), args.description or ""))
    print(f"added {path}")
    try:
        manager.ensure_safe(path)
    except UnsafeModelError as exc:
        print(f"note: {exc}")


def _is_sam3_file(source: Path) -> bool:
    from app.models.sam3.checkpoint import check_sam3

    if source.suffix.lower() != ".safetensors":
        return False
    try:
        check_sam3(source)
    except ModelError:
        return False
    return True


def _check_or_trust(manager: ModelManager, source: Path, trust: bool) -> None:
    if trust:
        manager.trust(source)
    manager.ensure_safe(source)


def cmd_models_add(args: argparse.Namespace) -> int:
    try:
        if args.function_file or args.function_module:
            kind = "function-file" if args.function_file else "function-module"
            target = args.function_file or args.function_module
            parse_params(args.param or [])
            if not args.name:
                raise CliError("registering a function needs --name")
            Registry().add(Registration(args.name, kind, str(target), list(args.param or []), args.description or ""))
            print(f"registered {kind} {args.name!r}")
            return 0
        if not args.path:
            raise CliError("give a checkpoint PATH, or --function-file / --function-module with --name")
        _add_checkpoint(args, ModelManager())
    except (ModelError, RegistryError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    return 0


def cmd_models_remove(args: argparse.Namespace) -> int:
    """Like cvat-cli's `function delete`: a registered name, a Hugging Face id or an installed file."""
    manager = ModelManager()
    name = args.name
    try:
        registry = _registry()
        if registry.get(name) is not None:
            registry.remove(name)
            print(f"removed the registration {name!r} (files are kept)")
            return 0
        if hf_cache.remove(manager.root, name):
            manager.notify()
            print(f"removed {name} from the offline Hugging Face cache")
            return 0
        path = manager.remove(name)
    except (ModelError, RegistryError) as exc:
        raise CliError(str(exc)) from exc
    print(f"removed {path}")
    return 0


def cmd_models_trust(args: argparse.Namespace) -> int:
    try:
        digest = ModelManager().trust(args.path)
    except ModelError as exc:
        raise CliError(str(exc)) from exc
    print(f"trusted {args.path} (SHA-256 {digest}): it may now be loaded even though its pickle can run code")
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    manager = ModelManager()
    names = args.names or [m.path.name for m in manager.installed()]
    failed = 0
    for name in names:
        result = manager.verify(name)
        print(f"{result.status:10} {result.message}")
        failed += not result.ok
    return 1 if failed else 0


def cmd_models_download(args: argparse.Namespace) -> int:
    try:
        path = ModelManager().download(args.name, timeout=args.timeout)
    except ModelError as exc:
        raise CliError(str(exc)) from exc
    print(f"downloaded {path}")
    return 0


def add_function_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--function-parameter", "-p", "--param", dest="param", action="append", metavar="NAME=TYPE:VALUE",
                   help="parameter for the function's create(); TYPE is int, float, str or bool; "
                        "a name given twice: the last value wins (as in cvat-cli)")


def register(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser("models", help="model checkpoints and registered functions")
    sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="known checkpoints, installed files, the Hugging Face cache, registrations")
    p.set_defaults(func=cmd_models_list)
    p = sub.add_parser("add", help="copy a checkpoint into the models folder, or register a function")
    p.add_argument("path", nargs="?", help="checkpoint file to add (with --hf-id: a file or a snapshot folder)")
    p.add_argument("--name", help="register under this name")
    p.add_argument("--hf-id", metavar="ORG/NAME",
                   help="place PATH in the offline Hugging Face cache as this model id (e.g. "
                        "facebook/sam2.1-hiera-tiny), where huggingface_hub finds it without network")
    p.add_argument("--hf-filename", help="file name the loader asks the hub for (default: sam2's name for "
                                         "Meta's SAM 2 ids, else PATH's name)")
    p.add_argument("--trust", action="store_true",
                   help="trust this file (recorded with its SHA-256) even though its pickle can run code")
    p.add_argument("--accept-licence", action="store_true",
                   help="SAM 3: accept the SAM License of its weights (recorded once, with the file's SHA-256)")
    p.add_argument("--function-file")
    p.add_argument("--function-module")
    p.add_argument("--description")
    p.add_argument("--overwrite", action="store_true")
    add_function_args(p)
    p.set_defaults(func=cmd_models_add)
    p = sub.add_parser("remove", help="remove a registration, a Hugging Face cache entry or an installed checkpoint")
    p.add_argument("name", help="registered name, Hugging Face id, catalog name or file name")
    p.set_defaults(func=cmd_models_remove)
    p = sub.add_parser("trust", help="allow a checkpoint whose pickle can run code (by its SHA-256)")
    p.add_argument("path")
    p.set_defaults(func=cmd_models_trust)
    p = sub.add_parser("verify", help="check installed checkpoints (readable, checksum)")
    p.add_argument("names", nargs="*")
    p.set_defaults(func=cmd_models_verify)
    p = sub.add_parser("download", help="download an official checkpoint (needs network)")
    p.add_argument("name")
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(func=cmd_models_download)
