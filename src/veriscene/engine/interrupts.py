"""A run stopped by Ctrl-C (SIGINT) or SIGTERM: its workers stopped at once, no partial file left,
and a message saying what is kept and how to go on.

Ctrl-C raises KeyboardInterrupt in the driver; `terminate_raises` makes SIGTERM (what `kill PID`,
a job scheduler or a service manager sends) raise `Terminated`, a KeyboardInterrupt too, so both
stop the run the same way instead of SIGTERM ending the process with no word. Local workers
ignore SIGINT (`ignore_interrupts`, in each worker as it starts): Ctrl-C reaches the whole
process group, and the driver alone decides what happens. On either, the driver stops its local
workers at once (`stop_workers`) instead of waiting for the shards they have in hand, and
removes the temporary files they were writing; a file the driver was writing is removed by
`engine.disk_space.temporary_for`. Every finished shard is kept, so `--resume` goes on from them;
a run stopped before it finished one keeps nothing (`engine.run_folder.taken_back_unless_sharded`),
and its message says to run the same command again instead (`interrupted_message`, `kept_a_run`).
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator


class Terminated(KeyboardInterrupt):
    """SIGTERM received while a run went on (`terminate_raises`): raised in the main thread as
    Ctrl-C raises KeyboardInterrupt. `signum` is the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _running_loop() -> Any:
    """The asyncio event loop running in this thread (eval's and annotate's requests to a model's
    server run in one), or None."""
    asyncio = sys.modules.get("asyncio")  # not imported: no loop runs
    return None if asyncio is None else asyncio._get_running_loop()


def _terminated(signum: int) -> None:
    raise Terminated(signum)


@contextmanager
def terminate_raises() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the block (in the main thread; elsewhere, where Python takes
    no signal handler, nothing changes; nor where SIGTERM is ignored, as its parent chose); the
    handler it had is put back after. While an asyncio event loop runs (a model's server asked),
    it is raised from a callback of the loop, as asyncio takes a KeyboardInterrupt: raised in the
    loop's own code it could drop a task's wake-up, and closing the loop (`asyncio.run` cancels
    its tasks and waits for them) then waited for ever (`eval` stopped by SIGTERM hung, at times,
    until killed)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        loop = _running_loop()
        if loop is not None:  # raised from a callback of the loop's own, where asyncio takes it (see below)
            loop.call_soon_threadsafe(_terminated, signum)
            return
        raise Terminated(signum)

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def exit_status(exc: KeyboardInterrupt) -> int:
    """The exit status of a command stopped by `exc`, as a shell gives it: 128 + the signal's
    number (130 for Ctrl-C, 143 for SIGTERM)."""
    return 128 + (exc.signum if isinstance(exc, Terminated) else signal.SIGINT)


def stopped_by(exc: KeyboardInterrupt) -> str:
    """How a message names what stopped a run: "interrupted (Ctrl-C)" or "stopped by SIGTERM"."""
    return "stopped by SIGTERM" if isinstance(exc, Terminated) else "interrupted (Ctrl-C)"


def interrupted_message(out: str, exc: KeyboardInterrupt, kept: bool = True, converted_in: str | None = None) -> str:
    """What a run stopped by `exc` says: what stopped it, what is kept and how to go on. `kept`:
    the run's folder holds a run to go on from (`kept_a_run`); else the run was stopped before
    it finished a shard and took back what it wrote, and the same command starts it over (with
    --resume it would start over too, but saying so would promise something kept).
    `converted_in` (with `kept` False): the folder keeping the finished conversion of the run's
    input (`generate --from`, `engine.converted.kept_or_taken_back`): `out`, or for a run at a
    URL its staging folder; the same command with --resume starts the run over from it, and
    without converts the input again."""
    what = stopped_by(exc)
    if not kept and converted_in is not None:
        from veriscene.engine.converted import FILES

        files = ", ".join(FILES)
        where = (f"in {out} but its input, converted ({files})" if converted_in == out else
                 f"in {out}; its input, converted, is kept in its staging folder {converted_in} ({files})")
        return (f"{what}: the run was stopped before it finished a shard, and nothing of it is kept {where}; run "
                "the same command again with --resume to start it over from that conversion (without --resume, "
                "the input is converted again)")
    if not kept:
        return (f"{what}: the run was stopped before it finished a shard, and nothing of it is kept in {out}; "
                "run the same command again to start it over")
    return f"{what}: what was finished is kept in {out}; run the same command again with --resume to go on from it"


def nothing_written_message(out: str, exc: KeyboardInterrupt) -> str:
    """What a command writing one file whole or not at all (`convert`: through a temporary name,
    renamed in place at the end) says when `exc` stops it: `out` is as it was, and the same
    command starts over (there is nothing to go on from)."""
    what = stopped_by(exc)
    return f"{what}: nothing was written to {out} (it is written whole or not at all); run the same command again"


def export_stopped_message(out: str, exc: KeyboardInterrupt) -> str:
    """What `export` says when `exc` stops it: the export did not finish, and is made anew by the
    same command (an export is not resumed; its files are written through temporary names, which
    the interrupt removes as it goes by)."""
    what = stopped_by(exc)
    return f"{what}: the export to {out} did not finish; run the same command again to make it (it starts over)"


def annotate_stopped_message(out: str, exc: KeyboardInterrupt, kept: bool) -> str:
    """What `annotate` says when `exc` stops it: `kept`, the images done are kept beside `out` (its
    run state, saved after each image, `annotate.runfile`) and --resume goes on from them; else no
    image was done, nothing of the run is left beside `out`, and the same command starts over."""
    what = stopped_by(exc)
    if kept:
        return (f"{what}: the images done are kept beside {out}; run the same command again with --resume to go on "
                "from them")
    return (f"{what}: no image was done, and nothing of the run is kept beside {out}; run the same command again "
            "to start it over")


def eval_stopped_message(out: str, exc: KeyboardInterrupt, kept: bool) -> str:
    """What `eval` says when `exc` stops it: `kept`, the replies received are kept in `out` (each
    written to results.jsonl as it arrives), and the same command goes on from them (an evaluation
    resumes by itself: no --resume); else no reply was received, and the same command starts over."""
    what = stopped_by(exc)
    if kept:
        return (f"{what}: the replies received are kept in {out}; run the same command again to go on from them "
                "(it resumes)")
    return f"{what}: no reply was received, so none is kept in {out}; run the same command again to start over"


def unfinished_message(exc: KeyboardInterrupt, unfinished: str, again: str) -> str:
    """What a command that keeps nothing of a stopped run says (`verify`, `stats`, `card`, `split`,
    `demo`, `publish`, `compare`, `score-freeform`, `view --html`): what stopped it, `unfinished`
    (what did not finish, and what is, or is not, left) and `again` (how to go on)."""
    return f"{stopped_by(exc)}: {unfinished}; {again}"


def kept_a_run(folder: Path) -> bool:
    """Whether the run folder `folder` (a run at a URL: its staging folder) holds a run after an
    interrupt: its manifest, which a run stopped before its first shard takes back (a run that
    was resumed, or finished a shard, keeps it)."""
    return (folder / "manifest.json").is_file()


def ignore_interrupts() -> None:
    """In a local worker as it starts: ignore SIGINT (Ctrl-C reaches the whole process group);
    the driver stops the workers itself (`stop_workers`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_workers(processes: Iterable[Any], shards_dir: str | None = None) -> None:
    """Kill the local worker `processes` (multiprocessing processes) now, rather than let them
    finish the shards in hand, and remove the temporary files they were writing in `shards_dir`
    (none is left half-written; finished shards stay)."""
    processes = list(processes)
    for process in processes:
        if process.exitcode is None:
            process.kill()
    for process in processes:
        process.join(5)
    if shards_dir is not None:
        for stray in Path(shards_dir).glob("*.tmp"):
            stray.unlink(missing_ok=True)
