"""`meshconsole <component>`: one image, and the command picks the process to run."""

from __future__ import annotations

import importlib
import sys

from services.kit.settings import SERVICE_NAMES

COMPONENTS = ("gateway", *SERVICE_NAMES)
USAGE = f"usage: meshconsole {{{'|'.join((*COMPONENTS, 'launch'))}}}\n       meshconsole admin --help\n"


def main(argv: list[str] | None = None) -> int:
    """Run the gateway, one service, (`launch`) the whole local mesh, or (`admin …`) the operator CLI."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["admin"]:
        # The operator CLI (services.cli.admin); Typer exits with the command's status.
        from services.cli.admin import app

        app(args=args[1:], prog_name="meshconsole admin")
        return 0
    if len(args) != 1 or args[0] not in (*COMPONENTS, "launch"):
        sys.stderr.write(USAGE)
        return 2
    component = args[0]
    if component == "launch":
        from deploy.local.launcher import main as launch

        return launch()
    module = importlib.import_module("gateway.__main__" if component == "gateway" else f"services.{component}.__main__")
    module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
