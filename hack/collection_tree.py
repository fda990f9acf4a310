"""Lay the collection out under <dest>/ansible_collections/gameops/pterodactyl.

ansible-test needs the collection at a path that ends in
ansible_collections/<namespace>/<name>. This copies the files git knows about (tracked, and
untracked ones that are not ignored), so the copy holds what a fresh clone would hold plus
work in progress, and nothing from .venv, .build or other ignored folders. Paths in
galaxy.yml's build_ignore (the sandbox, benchmarks, developer scripts) are left out: the
copy is the collection as it is built and shipped.
"""

from __future__ import annotations

import argparse
import filecmp
import fnmatch
import pathlib
import shutil
import subprocess
import sys

import yaml

NAMESPACE, NAME = "gameops", "pterodactyl"


def build_ignore(repo: pathlib.Path) -> list[str]:
    """galaxy.yml's build_ignore: what is not collection content (sandbox, bench, hack...)."""
    with open(repo / "galaxy.yml", encoding="utf-8") as handle:
        return list(yaml.safe_load(handle).get("build_ignore") or [])


def ignored(path: str, patterns: list[str]) -> bool:
    parts = path.split("/")
    return any(fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(parts[0], pattern) for pattern in patterns)


def listed_files(repo: pathlib.Path) -> list[str]:
    """Collection files: what git tracks plus untracked, non-ignored files, less build_ignore."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout
    patterns = build_ignore(repo)
    return sorted({p for p in out.decode().split("\0") if p and (repo / p).is_file() and not ignored(p, patterns)})


def sync(repo: pathlib.Path, target: pathlib.Path) -> int:
    """Mirror the listed files into target; remove files that are no longer listed."""
    wanted = listed_files(repo)
    target.mkdir(parents=True, exist_ok=True)
    for rel in wanted:
        src, dst = repo / rel, target / rel
        if dst.is_file() and filecmp.cmp(src, dst, shallow=False):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    keep = set(wanted)
    for path in sorted(target.rglob("*"), reverse=True):
        rel = path.relative_to(target).as_posix()
        if rel.startswith("tests/output"):
            continue
        if path.is_file() and rel not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return len(wanted)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", help="folder that will hold ansible_collections/")
    args = parser.parse_args()
    repo = pathlib.Path(__file__).resolve().parent.parent
    target = pathlib.Path(args.dest).resolve() / "ansible_collections" / NAMESPACE / NAME
    count = sync(repo, target)
    print(f"{target} ({count} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
