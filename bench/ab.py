"""Side by side: the bare extractor, `contentpipe ingest` at an earlier revision, and at this
checkout, alternating on the same pages — the way to see a change's effect on these noisy
shared machines, where the same run swings ±15 % from one minute to the next.

    python bench/ab.py --rev 6f35e0b --pages 6000 --repeat 2

The earlier revision is checked out into a temporary git worktree and run with this checkout's
virtualenv, through a launcher script that imports `flows.cli` at the top, as the console
script did before `flows.launch` existed (spawned workers rerun the launcher's imports).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, WORK, bare_trafilatura, make_pages

LAUNCHER = """import sys
from flows.cli import app
if __name__ == "__main__":
    sys.exit(app())
"""


def ingest(
    cmd: list[str], pages: Path, out: Path, cwd: Path, env: dict[str, str], *extra: str
) -> float:
    shutil.rmtree(out, ignore_errors=True)
    args = ["ingest", str(pages), "--out", str(out), "--workers", "2", "--no-prefect", *extra]
    start = time.perf_counter()
    done = subprocess.run([*cmd, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rev", required=True, help="git revision to compare with")
    ap.add_argument("--pages", type=int, default=6000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    pages = WORK / f"ab-pages-{args.pages}"
    if not pages.is_dir():
        print(f"generating {args.pages:,} pages ...", flush=True)
        make_pages(args.pages, pages)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    with tempfile.TemporaryDirectory(prefix="contentpipe-ab-") as tmp:
        old = Path(tmp, "old")
        git = ["git", "-C", str(ROOT), "worktree"]
        subprocess.run([*git, "add", "-q", "--detach", str(old), args.rev], check=True)
        try:
            launcher = Path(tmp, "launch_old.py")
            launcher.write_text(LAUNCHER, encoding="utf-8")
            old_env = {**env, "PYTHONPATH": str(old)}
            new_cmd = [str(Path(sys.executable).parent / "contentpipe")]
            head = f"| floor | {args.rev} | this checkout | this checkout, --shortcuts |"
            print(head + "\n|---|---|---|---|", flush=True)
            for _ in range(args.repeat):
                floor = bare_trafilatura(pages, 2)
                was = ingest([sys.executable, str(launcher)], pages, Path(tmp, "o"), old, old_env)
                now = ingest(new_cmd, pages, Path(tmp, "n"), ROOT, env)
                fast = ingest(new_cmd, pages, Path(tmp, "f"), ROOT, env, "--shortcuts")
                print(
                    f"| {floor:.1f} s | {was:.1f} s = {was / floor:.2f} x "
                    f"| {now:.1f} s = {now / floor:.2f} x | {fast:.1f} s = {fast / floor:.2f} x |",
                    flush=True,
                )
        finally:
            subprocess.run([*git, "remove", "--force", str(old)], check=True)


if __name__ == "__main__":
    main()
