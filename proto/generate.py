"""Regenerate the committed Python stubs from every .proto under proto/ (run by `make proto`)."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent


def proto_files() -> list[Path]:
    """Every contract under proto/meshconsole, in a stable order."""
    return sorted((PROTO_ROOT / "meshconsole").rglob("*.proto"))


def generate(out_dir: Path = PROTO_ROOT) -> None:
    """Write *_pb2.py, *_pb2.pyi and *_pb2_grpc.py for every contract into out_dir."""
    well_known = str(resources.files("grpc_tools") / "_proto")
    for proto in proto_files():
        relative = proto.relative_to(PROTO_ROOT)
        args = [
            "grpc_tools.protoc",
            f"-I{PROTO_ROOT}",
            f"-I{well_known}",
            f"--python_out={out_dir}",
            f"--pyi_out={out_dir}",
            f"--grpc_python_out={out_dir}",
            str(relative),
        ]
        if protoc.main(args) != 0:
            raise SystemExit(f"protoc failed on {relative}")
    for package_dir in {p.parent for p in (out_dir / "meshconsole").rglob("*_pb2.py")}:
        for directory in [package_dir, *package_dir.parents]:
            if directory == out_dir:
                break
            (directory / "__init__.py").touch()


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)
