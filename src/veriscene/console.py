"""Terminal output: progress bars (off a terminal, plain lines every VERISCENE_PROGRESS_SECONDS:
`veriscene.plain_progress`) and summary tables (rich). The CLI uses this module; Python code may
enter its displays around the API's progress callbacks (`run_progress`, `progress_bar`: `every=`)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from veriscene import __version__
from veriscene.engine.manifest import wording_said
from veriscene.engine.source_digest import source_said
from veriscene.plain_progress import PlainLines, clock, progress_seconds

if TYPE_CHECKING:  # annotations only: veriscene.verify imports the generators and numpy (0.3 s),
    # and this module is imported by every command that prints, and by every error a command says
    from veriscene.engine.summary import RunSummary
    from veriscene.verify import VerifyReport

console = Console()
err_console = Console(stderr=True)


def say_stopped(message: str, console: Console | None = None) -> None:
    """Say on standard error (or `console`) what a command stopped by Ctrl-C or SIGTERM says,
    "WHAT: what is kept and how to go on" (`engine.interrupts`), its head in yellow."""
    what, rest = message.split(":", 1)
    (console or err_console).print(f"[yellow]{escape(what)}:[/yellow]{escape(rest)}", soft_wrap=True)


@contextmanager
def _display(columns: Sequence[str | ProgressColumn], every: float | None) -> Iterator[Progress]:
    """The display of every progress callback here: on a terminal, rich's bars (gone once done);
    off one (a pipe, a log file: nohup, `ray job submit`, a batch job), no bar, but a plain line per
    bar every `every` seconds (None: `VERISCENE_PROGRESS_SECONDS`, default 30; 0: none), with the
    figures the bar shows (`plain_line`). ValueError for a bad `every` or variable."""
    seconds = progress_seconds(every)
    terminal = err_console.is_terminal
    with Progress(*columns, console=err_console, transient=True, disable=not terminal) as bar:
        if terminal or not seconds:
            yield bar
            return

        def lines() -> list[str]:  # the bars under way (a finished scan or download says no more)
            return [plain_line(task) for task in bar.tasks
                    if task.visible and not task.finished and task.stop_time is None]

        with PlainLines(lines, err_console.file, seconds):
            yield bar


def plain_line(task: Task) -> str:
    """A bar's figures as one plain line: "generating: 1,200/5,000 scenes, 96,000 samples, 40
    scenes/s, 3,200 samples/s, elapsed 0:00:30, left 0:01:35" for `generate_progress`'s (rates averaged
    over the stage so far, a resumed run's over the work done now: `run_rates`), "scanning: 120/500 MB, 40 MB/s, ..." for
    bytes, "verifying: 1,000/5,000 (20%), 33/s, elapsed 0:00:30, left 0:02:00" for the others
    (rate and time left as `Rate` and rich's column reckon them); "left -" while unknown."""
    name = Text.from_markup(task.description).plain
    elapsed = task.elapsed or 0.0

    def rate(n: float) -> float:
        return n / elapsed if elapsed > 0 else 0.0

    def left(done: float, total: float | None) -> str:
        return clock((total - done) / rate(done) if total is not None and rate(done) else None)

    if task.fields.get("unit") == "bytes":
        done = task.completed / 1e6
        total = task.total / 1e6 if task.total else None
        of = f"/{total:,.0f}" if total is not None else ""
        return (f"{name}: {done:,.0f}{of} MB, {rate(done):,.0f} MB/s, elapsed {clock(elapsed)}"
                + (f", left {left(done, total)}" if total is not None else ""))
    if "samples" in task.fields:
        samples = task.fields["samples"]
        of = f"/{int(task.total):,}" if task.total is not None else ""
        scene_rate, sample_rate, seconds_left = run_rates(task)
        return (f"{name}: {int(task.completed):,}{of} scenes, {samples:,} samples, {scene_rate:,.0f} "
                f"scenes/s, {sample_rate:,.0f} samples/s, elapsed {clock(elapsed)}"
                + (f", left {clock(seconds_left)}" if task.total is not None else ""))
    said = [f"{name}: {int(task.completed):,}" + (f"/{int(task.total):,} ({task.percentage:.0f}%)" if task.total else "")]
    speed = task.finished_speed or task.speed
    if speed:
        said.append(f"{speed:,.0f}/s")
    said.append(f"elapsed {clock(elapsed)}")
    if task.total:
        said.append(f"left {clock(task.time_remaining)}")
    return ", ".join(said)


def _run_columns() -> tuple[ProgressColumn, ...]:
    """The columns of `generate`'s and the downloads' bars."""
    return TextColumn("[bold]{task.description}"), BarColumn(bar_width=10), RunCounts(), TimeElapsedColumn()


@contextmanager
def progress_bar(description: str, total: int | None, every: float | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar with rate; yields `advance(n)`. Off a terminal, a plain line every `every`
    seconds instead (all displays here: `_display`)."""
    columns = (
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), Rate(), TimeElapsedColumn(),
        *((TextColumn("left"), TimeRemainingColumn()) if total else ()),
    )
    with _display(columns, every) as bar:
        task = bar.add_task(escape(description), total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


@contextmanager
def stage_bars(every: float | None = None) -> Iterator[Callable[[str, int, int], None]]:
    """One display for work done in stages (images downloaded, then samples evaluated): yields
    `report(stage, done, total)`, which shows a bar per stage, in the order they start."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), Rate(),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with _display(columns, every) as bar:
        ids: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in ids:
                ids[stage] = bar.add_task(escape(stage), total=total)
            bar.update(ids[stage], completed=done, total=total)

        yield report


class Rate(ProgressColumn):
    """Items per second, once rich has measured it (blank before: its speed is None at first)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:>8.0f}/s" if speed else "")


class RunCounts(ProgressColumn):
    """Counts and rates of a `generate` stage: MB and MB/s while scanning; scenes, scenes/s,
    samples and samples/s while generating (rates averaged over the stage so far, `run_rates`)."""

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            elapsed = task.elapsed or 0.0
            done, total = task.completed / 1e6, (task.total or 0) / 1e6
            return Text(f"{done:,.0f}/{total:,.0f} MB  {done / elapsed if elapsed > 0 else 0:,.0f} MB/s")
        samples = task.fields.get("samples", 0)
        of = f"/{int(task.total):,}" if task.total is not None else ""
        scene_rate, sample_rate, _ = run_rates(task)
        return Text(f"{int(task.completed):,}{of} scenes {scene_rate:,.0f}/s  {samples:,} samples {sample_rate:,.0f}/s")


def run_rates(task: Task) -> tuple[float, float, float | None]:
    """Scenes/s, samples/s and seconds left of `generate`'s bar, averaged over the stage so far;
    for a resumed run, over the work done since the shards kept were told (`kept` of
    `generate_progress`: they took no time now, and would make the rates many times too high and
    the time left too short)."""
    scenes, samples = task.completed, task.fields.get("samples", 0)
    kept_scenes, kept_samples, kept_at = task.fields.get("kept", (0, 0, 0.0))
    elapsed = (task.elapsed or 0.0) - kept_at
    if elapsed <= 0:
        return 0.0, 0.0, None
    scene_rate, sample_rate = (scenes - kept_scenes) / elapsed, (samples - kept_samples) / elapsed
    left = (task.total - scenes) / scene_rate if task.total is not None and scene_rate > 0 else None
    return scene_rate, sample_rate, left


@contextmanager
def download_progress(every: float | None = None) -> Iterator[Callable[[str, int, int], None]]:
    """A bar per file downloaded (`veriscene.engine.fetch`); yields `progress(url, done, total)`."""
    with _display(_run_columns(), every) as bar:
        ids: dict[str, Any] = {}

        def progress(url: str, done: int, total: int) -> None:
            if url not in ids:
                ids[url] = bar.add_task(f"downloading {escape(url.rsplit('/', 1)[-1])}", total=total or None,
                                        unit="bytes")
            bar.update(ids[url], completed=done, total=total or None)

        yield progress


@contextmanager
def generate_progress(total: int | None = None, every: float | None = None) -> Iterator[dict[str, Any]]:
    """The display of `veriscene generate`: a scan bar, then a generation bar of `total` input
    scenes (None: told by the scan). Yields the callbacks `generate` takes, by name
    (`scan_progress`, `progress`, `counted`, `kept`): `generate(..., **callbacks)`. Off a terminal,
    a plain line every `every` seconds (`_display`)."""
    with _display(_run_columns(), every) as bar:
        ids: dict[str, Any] = {}
        made = read = done = 0
        scene_total = total

        def start_generating() -> Any:
            if "generate" not in ids:
                ids["generate"] = bar.add_task("generating", total=scene_total, samples=0)
            return ids["generate"]

        def counted(n: int) -> None:
            nonlocal scene_total
            scene_total = n
            if "generate" in ids:
                bar.update(ids["generate"], total=n)

        def scanned(n: int, total_bytes: int) -> None:
            nonlocal read
            read += n
            if "scan" not in ids:
                ids["scan"] = bar.add_task("scanning", total=total_bytes, unit="bytes")
            bar.advance(ids["scan"], n)
            if read >= total_bytes:
                bar.stop_task(ids["scan"])
                start_generating()  # its rates count from the end of the scan

        def generated(scenes: int, samples: int) -> None:
            nonlocal made, done
            made += samples
            done += scenes
            bar.update(start_generating(), advance=scenes, samples=made)

        def kept(scenes: int, samples: int) -> None:  # (told to `generated` too): rates count from here
            task = start_generating()
            elapsed = next((t.elapsed for t in bar.tasks if t.id == task), None) or 0.0
            bar.update(task, kept=(done, made, elapsed))

        yield {"scan_progress": scanned, "progress": generated, "counted": counted, "kept": kept}


@contextmanager
def run_progress(total: int | None = None, every: float | None = None) -> Iterator[
        tuple[Callable[[int, int], None], Callable[[int, int], None], Callable[[int], None]]]:
    """`generate_progress`'s callbacks (scan_progress, progress, counted), without `kept`: a resumed
    run's rates then count the shards it kept as if made now."""
    with generate_progress(total, every) as shown:
        yield shown["scan_progress"], shown["progress"], shown["counted"]


@contextmanager
def stage_progress(totals: dict[str, str], every: float | None = None) -> Iterator[Callable[[str, int, int], None]]:
    """Several named stages in one display; yields `advance(stage, n, total)`."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with _display(columns, every) as bar:
        tasks: dict[str, Any] = {}

        def advance(stage: str, n: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(escape(totals.get(stage, stage)), total=total)
            bar.advance(tasks[stage], n)

        yield advance


def repeats_said(n: int) -> str:
    """The run summary's line on the `n` (> 0) multi-image samples dropped as repeats
    (`RunSummary.repeats_dropped`, `veriscene.engine.repeats`)."""
    if n == 1:
        return "1 multi-image sample repeated one that another anchor scene had already written: written once"
    return f"{n:,} multi-image samples repeated ones that other anchor scenes had already written: each written once"


def print_run_summary(summary: RunSummary, title: str = "Generated samples") -> None:
    table = Table(title=title, show_lines=False)
    table.add_column("generator")
    table.add_column("family")
    table.add_column("samples", justify="right")
    table.add_column("top answers (qa)")
    from veriscene.generators.registry import GENERATORS

    for task, n in sorted(summary.per_task.items()):
        family = GENERATORS[task].family if task in GENERATORS else "?"
        top = ", ".join(f"{a} {share:.0%}" for a, share in summary.top_answers(task))
        table.add_row(escape(task), escape(family), str(n), escape(top))  # answers: "[x0, y0, ...]" is no markup
    console.print(table)
    print_generator_stats(summary.per_generator())
    print_marks_clash(summary.generator_stats)
    fam = Table(title="Per family")
    fam.add_column("family")
    fam.add_column("samples", justify="right")
    for family, n in sorted(summary.per_family.items()):
        fam.add_row(escape(family), str(n))
    console.print(fam)
    modes = ", ".join(f"{m}: {n}" for m, n in sorted(summary.per_mode.items()))
    by_options: dict[str, list[str]] = {}
    for key, n in sorted(summary.mc_positions.items()):
        options, _, letter = key.partition(":")
        by_options.setdefault(options, []).append(f"{letter} {n}")
    letters = "; ".join(f"{k} options: {', '.join(v)}" for k, v in by_options.items())
    console.print(
        f"[bold]{summary.samples}[/] samples from [bold]{summary.scenes}[/] scenes "
        f"({len(summary.per_task)} generators, {len(summary.per_family)} families) {_made_said(summary)}; "
        f"peak memory {summary.peak_memory_mb:.0f} MiB"
        + (f" (largest worker {summary.worker_peak_memory_mb:.0f} MiB)" if summary.worker_peak_memory_mb else "")
    )
    console.print(f"modes: {escape(modes)}", emoji=False)
    console.print(f"multiple-choice correct letters by number of options: {escape(letters) or '-'}", emoji=False)
    if not summary.samples and summary.scenes:  # read fine, asked nothing: say so, not just zeros in tables
        console.print(f"[yellow]warning:[/] no sample was made from the {summary.scenes:,} scene(s) read: no generator "
                      "found anything to ask (scenes without objects, say, as an annotate run whose detector found "
                      "none writes them); the tables above say what each generator lacked", soft_wrap=True)
    elif not summary.scenes and not summary.rejects.get("rejected"):  # (all rejected: an error, said elsewhere)
        console.print("[yellow]warning:[/] the input holds no scene, so the run has no sample (an empty file: a "
                      "split of few scenes may leave one empty)", soft_wrap=True)
    for note in summary.notes:
        console.print(note, emoji=False, markup=False)
    if summary.repeats_dropped:
        console.print(repeats_said(summary.repeats_dropped), emoji=False)
    rejected = summary.rejects.get("rejected", 0)
    failed = sum(n for key, n in summary.generator_stats.items() if key.startswith("failed:"))
    if rejected or failed:
        report = summary.rejects.get("report")
        said = [f"{rejected} scene record(s) rejected"] if rejected else []
        if summary.oversized and said:  # (among the rejected; their reasons say the limit)
            said[-1] += (f", {summary.oversized} of them for holding more objects than a scene may "
                         "(--max-scene-objects)")
        if failed:
            said.append(f"{failed} time(s) a generator failed on a scene (its samples of that scene dropped)")
        console.print(f"[yellow]{'; '.join(said)}[/]; all listed in {escape(str(report))}", soft_wrap=True)
        for line in _first_lines(report, 5):
            console.print(f"  {line}", emoji=False, markup=False)


def _made_said(summary: RunSummary) -> str:
    """The run summary's words on time and rate: "in 37.2 s (4403 samples/s)"; for a resumed run,
    its shards kept apart from what this call made, whose time that is ("in 20 shards, 18 of them
    kept from the interrupted run; made now: 16400 samples from 200 scenes (2 shards) in 37.2 s
    (441 samples/s)"), as the run's samples beside the resume's time alone would overstate the rate."""
    def timed(samples: int) -> str:
        rate = f" ({samples / summary.seconds:.0f} samples/s)" if summary.seconds > 0 else ""
        return f"in {summary.seconds:.1f} s{rate}"

    if not summary.shards_kept:
        return timed(summary.samples)
    if summary.shards_kept >= summary.shards:
        return f"in {summary.shards} shards, all kept from the finished run; made now: nothing ({summary.seconds:.1f} s)"
    run_now = summary.shards - summary.shards_kept
    return (f"in {summary.shards} shards, {summary.shards_kept} of them kept from the interrupted run; made now: "
            f"{summary.samples_now} samples from {summary.scenes_now} scenes ({run_now} shard{'s' * (run_now != 1)}) "
            f"{timed(summary.samples_now)}")


def _needs(requires: tuple[str, ...]) -> str:
    """A generator's requirements in words: "attributes annotated in full" for `attributes` and
    `attributes_in_full` (a scene whose meta.sparse lists attributes lacks it)."""
    words = []
    for need in requires:
        kind = need.removesuffix("_in_full")
        if need != kind:
            words.append(f"{kind}, annotated in full (not in meta.sparse)")
        elif f"{need}_in_full" not in requires:
            words.append(need)
    return " and ".join(words)


def print_generator_stats(rows: dict[str, dict[str, int]]) -> None:
    """The generators' scenes skipped and candidates dropped (`RunSummary.per_generator`), and the
    generators that made nothing because no scene has what they need."""
    from veriscene.generators.registry import GENERATORS

    table = Table(title="Skipped and dropped", caption="skipped: scenes lacking what the generator needs; "
                  "no question: scenes it found nothing to ask about; dropped: candidates refused; "
                  "failed: scenes on which it raised an error (listed in rejects.jsonl)")
    table.add_column("generator", no_wrap=True)
    table.add_column("samples", justify="right")
    table.add_column("skipped", justify="right")
    table.add_column("no question", justify="right")
    table.add_column("dropped", justify="right")
    table.add_column("failed", justify="right")
    idle: dict[str, list[str]] = {}  # what they need -> generators that made nothing for lack of it
    for task, row in rows.items():
        gen = GENERATORS.get(task)
        if row["samples"] == 0 and row["skipped"] and gen is not None and gen.requires:
            idle.setdefault(_needs(gen.requires), []).append(task)
        elif row["skipped"] or row["no_question"] or row["dropped"] or row["failed"]:
            table.add_row(escape(task), *(str(row[k]) for k in ("samples", "skipped", "no_question", "dropped", "failed")))
    if table.row_count:
        console.print(table)
    if idle:
        needs = "; ".join(f"{need}: {', '.join(tasks)}" for need, tasks in sorted(idle.items()))
        console.print(f"{sum(map(len, idle.values()))} generator(s) made no samples, as no scene has what they "
                      f"need. {escape(needs)}", emoji=False)


def print_marks_clash(generator_stats: Mapping[str, int]) -> None:
    """The candidates each generator did not ask because marks drawn at their points would touch
    (``marks_clash:<generator>``, `generators.regions.MARKS_CLASH`; a generator's ``marks: true``),
    and those it did not ask because a mark could not be placed where a viewer reads it
    (``marks_unplaced:<generator>``): a line each, when any."""
    clashes = sorted((key.partition(":")[2], n) for key, n in generator_stats.items()
                     if key.startswith("marks_clash:") and n)
    if clashes:
        said = ", ".join(f"{task} {n:,}" for task, n in clashes)
        console.print(f"Marked points: candidates not asked because their marks would touch: {escape(said)} "
                      "(marks_clash in the summary's generator_stats; those made and refused are among 'dropped')",
                      emoji=False)
    unplaced = sorted((key.partition(":")[2], n) for key, n in generator_stats.items()
                      if key.startswith("marks_unplaced:") and n)
    if unplaced:  # (`generators.regions.MARKS_UNPLACED`, multi.marked_point's of the same name)
        said = ", ".join(f"{task} {n:,}" for task, n in unplaced)
        console.print(f"Marked points: candidates not asked because no mark could be placed where a viewer reads it "
                      f"(an object too small for a mark, no place for a label): {escape(said)} "
                      "(marks_unplaced in the summary's generator_stats)", emoji=False)


def _first_lines(report: str | None, k: int) -> list[str]:
    """The first k rejects of a report as one-line messages (file, line, field: reason)."""
    import orjson

    if not report:
        return []
    found = []
    try:
        with open(report, "rb") as fh:
            for raw in fh:
                r = orjson.loads(raw)
                field = f", field '{r['field']}'" if r.get("field") else ""
                found.append(f"{r.get('file')}, line {r.get('record')}{field}: {r.get('reason')}")
                if len(found) == k:
                    break
    except (OSError, orjson.JSONDecodeError):
        pass
    return found


def print_verify_report(report: VerifyReport, max_listed: int = 20) -> None:
    for problem in report.problems[:max_listed]:
        if problem.kind == "mismatch":
            console.print(
                f"[red]MISMATCH[/] line {problem.line} sample {escape(str(problem.sample_id))}: "
                f"stored {escape(repr(problem.stored))}, program computes {escape(repr(problem.computed))}"
            )
        else:
            named = f" sample {problem.sample_id}" if problem.sample_id else ""
            console.print(f"[red]{problem.kind.upper()}[/] line {problem.line}{escape(named)}: {escape(problem.detail)}")
    if len(report.problems) > max_listed:
        console.print(f"... and {len(report.problems) - max_listed} more problems")
    files = report.files
    if files is not None:
        for difference in files.problems:
            console.print(f"[red]FILES[/] {escape(difference)}")
        style = "green" if files.ok else "red"
        console.print(f"[{style}]files: {files.intact} of {files.shards} shards as the manifest records them "
                      f"({files.samples} samples, SHA-256 checked)[/]")
    style = "green" if report.ok else "red"
    console.print(
        f"[{style}]verified {report.verified} of {report.samples} samples: "
        f"{report.mismatches} mismatches, {report.unreadable} unreadable or unverifiable[/]"
    )
    if report.samples == 0:
        console.print("[red]nothing was verified: the run holds no sample[/]")
    if report.made_by is not None and report.made_by != __version__ and report.problems:
        console.print(f"[yellow]note: the run was made by veriscene {report.made_by} and verified with "
                      f"{__version__}; where an operation or phrasing changed between them the programs "
                      f"compute other answers (to check the data as made, verify with veriscene "
                      f"{report.made_by})[/]", soft_wrap=True)
    if report.wording_changed:
        console.print(f"[yellow]note: {escape(wording_said(report.wording_changed))}: their samples' questions "
                      "may be worded otherwise than this build words them; the answers were checked by program "
                      "all the same[/]", soft_wrap=True)
    if report.scenes_changed:
        changed = ", ".join(report.scenes_changed)
        console.print(f"[yellow]note: the scene file(s) the run was made from changed since (their SHA-256 is not "
                      f"the one manifest.json records): {escape(changed)}; the problems above may be the file's, not "
                      "the samples' (written over by another conversion or a demo?): verify against the run's own "
                      "scene file (--scenes FILE)[/]", soft_wrap=True)
    if report.code_changed:
        console.print(f"[yellow]note: {escape(source_said(report.code_changed))}: the run's questions may be worded "
                      "otherwise than this code words them; the answers were checked by program all the same[/]", soft_wrap=True)
