"""Command line: ``cxtui [DATA]`` opens the TUI; subcommands print (SPEC §3).

Polars, Textual and the metrics are imported inside the commands, so
``cxtui --help`` and ``cxtui --version`` stay fast.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cxtui import __version__

if TYPE_CHECKING:
    from cxtui.data.load import Dataset
    from cxtui.data.remote import RemotePath
    from cxtui.engine import Analysis

HELP = """cxtui — explore customer analytics in the terminal.

Run `cxtui [DATA]` to open the interactive explorer, or a command below to print a view. DATA is a folder of Parquet (or CSV, via cxtui.toml) files; it defaults to $CXTUI_DATA, then the bundled demo dataset.
"""  # noqa: E501  (one line per paragraph: the help reflows it to the terminal's width)

app = typer.Typer(
    name="cxtui",
    help=HELP,
    add_completion=False,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    csv_raw = "csv-raw"
    json = "json"
    markdown = "markdown"


class ColorMode(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


DataArg = Annotated[
    str | None,
    typer.Argument(
        help="Dataset folder. Default: $CXTUI_DATA, else the bundled demo.", show_default=False
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Compute as of this date (default: the latest date in the data).",
    ),
]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        help="Output format. csv is spreadsheet-safe (text starting with = + - @ gets a "
        "leading ' and control characters are shown as \\xNN); csv-raw writes the values "
        "exactly as they are.",
        case_sensitive=False,
    ),
]
LimitOpt = Annotated[
    int | None,
    typer.Option("--limit", min=0, max=10**9, help="Print at most this many rows (0 = all)."),
]
WhereOpt = Annotated[
    str | None,
    typer.Option(
        "--where",
        help="Only customers matching this SQL filter, e.g. \"region = 'EMEA' AND plan = 'pro'\".",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", help="cxtui.toml to use (default: DATA/cxtui.toml if present)."),
]
ColorOpt = Annotated[
    ColorMode,
    typer.Option("--color", help="Colour: auto (terminal only, honours NO_COLOR), always, never."),
]
NoCacheOpt = Annotated[
    bool, typer.Option("--no-cache", help="Do not read or write the per-customer facts cache.")
]
CacheDirOpt = Annotated[
    Path | None,
    typer.Option("--cache-dir", help="Facts cache folder (default: $XDG_CACHE_HOME/cxtui)."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cxtui {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    pass


# ---------------------------------------------------------------- plumbing


def _fail(message: str, code: int = 2) -> typer.Exit:
    from cxtui.render import safe_text

    sys.stderr.write(f"cxtui: error: {safe_text(message)}\n")
    return typer.Exit(code)


def handles_errors(fn):
    """Bad input becomes one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from cxtui.errors import CxError

        try:
            try:
                return fn(*args, **kwargs)
            finally:
                if "cxtui.engine" in sys.modules:
                    sys.modules["cxtui.engine"].finish_cache_writes()
        except CxError as exc:
            raise _fail(str(exc), exc.exit_code) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as exc:
            if os.environ.get("CXTUI_DEBUG"):
                raise
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise _fail(
                f"unexpected {type(exc).__name__}: {first}; fix: run `cxtui validate DATA` to "
                "check the data (CXTUI_DEBUG=1 shows the traceback)"
            ) from None

    return wrapper


def bundled_demo() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "demo_data", here.parent / "data" / "demo"):
        if candidate.is_dir():
            return candidate
    return here.parent / "data" / "demo"


def resolve_data(data: str | None) -> Path | RemotePath:
    """The DATA argument (else $CXTUI_DATA, else the bundled demo): a folder, or
    an object-store URL (s3://, gs://, az://) kept as a URL."""
    from cxtui.data.remote import as_location

    if data:
        return as_location(data)
    env = os.environ.get("CXTUI_DATA")
    return as_location(env) if env else bundled_demo()


def parse_as_of(text: str | None) -> date | None:
    from cxtui.errors import CxError

    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CxError(f"--as-of {text!r} is not a date; fix: use YYYY-MM-DD") from None


@contextlib.contextmanager
def working(message: str, delay: float = 0.6, label: str | None = None):
    """A spinner on stderr while slow work runs (a cold build on a big dataset),
    shown only after `delay` seconds and only when stderr is a terminal: warm
    runs, pipes, CI and tests see nothing. The stages the work reports
    (`cxtui.progress.stage`) replace `message` after `label`."""
    if not sys.stderr.isatty() or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        yield
        return
    import threading

    from rich.console import Console
    from rich.text import Text

    from cxtui.progress import reporting
    from cxtui.render import safe_text

    status = Console(stderr=True).status(Text(safe_text(message)))
    done = threading.Event()
    started: list[bool] = []

    def show(stage: str) -> None:  # the stage the work has reached (cxtui.progress)
        status.update(Text(safe_text(f"{label or message} — {stage}…")))

    def start_later() -> None:
        if not done.wait(delay):
            status.start()
            started.append(True)

    timer = threading.Thread(target=start_later, daemon=True)
    timer.start()
    try:
        with reporting(show):
            yield
    finally:
        done.set()
        timer.join()
        if started:
            status.stop()


def open_data(
    data: str | None,
    as_of: str | None,
    config: Path | None,
    no_cache: bool = False,
    cache_dir: Path | None = None,
) -> Dataset:
    """Open a printing command's dataset (its probes from the cache unless --no-cache)."""
    from cxtui.data.load import open_dataset
    from cxtui.engine import default_cache_dir

    probe_cache = None if no_cache else (cache_dir or default_cache_dir())
    return open_dataset(resolve_data(data), config, parse_as_of(as_of), probe_cache)


def analysis_for(
    ds: Dataset,
    where: str | None,
    no_cache: bool = False,
    cache_dir: Path | None = None,
    for_clv: bool = False,
) -> Analysis:
    """An opened dataset's analysis: the per-customer facts, from the cache or
    built. `for_clv`: the command fits the CLV: the models' code is imported
    beside the facts build (`preload_models`) and the build keeps the CLV's
    order days (see `analysis_of`)."""
    from cxtui.engine import analysis_of

    if for_clv:
        from cxtui.engine.clv import preload_models

        preload_models(ds)
    with working(f"reading {ds.root} and computing the per-customer facts…", label=str(ds.root)):
        # background: the command's queries run while the facts cache is written
        return analysis_of(ds, where, cache_dir, not no_cache, background=True, for_clv=for_clv)


class _Recorder:
    """sys.stdout while a command prints: every write goes through to the real
    stream and is kept, so that the finished output can be cached. A terminal
    stays a terminal to whoever asks (Rich's colour and width detection)."""

    def __init__(self, out) -> None:
        self._out = out
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return self._out.write(text)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, flush, …
        return getattr(self._out, name)


def output_shape(color: ColorMode, *parts: Any) -> list[str]:
    """What shapes a command's printed text besides the data: the terminal (width,
    whether it is one, its colours) and the command's own options (`parts`)."""
    import json

    from cxtui.render import make_console

    console = make_console(color.value)
    shape = [str(console.width), str(console.is_terminal), str(console.color_system)]
    return shape + [json.dumps(p, sort_keys=True, default=str) for p in parts]


@contextlib.contextmanager
def printed_once(
    ds: Dataset, cache_dir: Path | None, use_cache: bool, command: str, shape: list[str]
):
    """The output cache of every printing command: a second run on unchanged data
    (the facts cache key: the same files, config, as_of and version, and the same
    cxtui source) with the same options and terminal prints the finished text
    kept by the first. Yields True when it has printed it (the command is done),
    else False, and then keeps what the command prints, unless it fails."""
    from cxtui.engine import output_cache_path, read_output_cache, write_output_cache

    if not use_cache:
        yield False
        return
    path = output_cache_path(ds, cache_dir, command, *shape)
    if (text := read_output_cache(path)) is not None:
        sys.stdout.write(text)
        yield True
        return
    real = sys.stdout
    recorder = _Recorder(real)
    sys.stdout = recorder
    try:
        yield False
    finally:
        sys.stdout = real
    write_output_cache(path, "".join(recorder.parts))


def jsonable(value: Any) -> Any:
    """Dates as ISO text, NaN/inf as null, recursively."""
    import math

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def _emit_table(rt, format: Format, color: ColorMode) -> None:
    if format is Format.json:
        emit_json([jsonable(r) for r in rt.frame.to_dicts()])
    else:
        emit(rt, format, color)


def emit_json(obj: Any) -> None:
    from cxtui.render import json_dumps

    sys.stdout.write(json_dumps(obj) + "\n")


def emit(rt, fmt: Format, color: ColorMode) -> None:
    from cxtui.render import make_console, print_result

    print_result(rt, fmt.value, console=make_console(color.value))


# ---------------------------------------------------------------- printing commands

# The options every printing command shares, declared once: a view names the
# ones it takes (View.common); --no-cache and --cache-dir go with every one.
COMMON_OPTIONS: dict[str, tuple[Any, Any]] = {
    "as_of": (AsOfOpt, None),
    "format": (FormatOpt, Format.table),
    "limit": (LimitOpt, None),
    "where": (WhereOpt, None),
    "config": (ConfigOpt, None),
    "color": (ColorOpt, ColorMode.auto),
    "no_cache": (NoCacheOpt, False),
    "cache_dir": (CacheDirOpt, None),
}


def _option_annotation(opt) -> Any:
    """A view option as a Typer option: its flags, help, bounds and type."""
    kwargs: dict[str, Any] = {"help": opt.help}
    if opt.min is not None:
        kwargs["min"] = opt.min
    if opt.max is not None:
        kwargs["max"] = opt.max
    if opt.metavar:
        kwargs["metavar"] = opt.metavar
    hint = opt.type if opt.type is bool or opt.default is not None else (opt.type | None)
    if opt.choices:  # checked by run_view, with a message that names the fix
        kwargs.setdefault("metavar", "|".join(opt.choices))
    return Annotated[hint, typer.Option(*opt.flags, **kwargs)]


def _view_command(view) -> None:
    """Register `cxtui VIEW DATA [options]`, its options generated from the view."""
    import inspect

    kw = inspect.Parameter.KEYWORD_ONLY
    params = [
        inspect.Parameter(
            "data", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation=DataArg
        )
    ]
    params += [
        inspect.Parameter(o.name, kw, default=o.default, annotation=_option_annotation(o))
        for o in view.options
    ]
    for name, (annotation, default) in COMMON_OPTIONS.items():
        if name in view.common or name in ("no_cache", "cache_dir"):
            params.append(inspect.Parameter(name, kw, default=default, annotation=annotation))

    def command(data: str | None = None, **kwargs: Any) -> None:
        run_view(view, data, kwargs)

    command.__name__ = view.id.replace("-", "_")
    command.__doc__ = view.help
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    app.command(view.id)(handles_errors(command))


def run_view(view, data: str | None, kwargs: dict[str, Any]) -> None:
    """A view's command: open the analysis, run the query, print in the format asked."""
    from cxtui.errors import CxError

    fmt: Format = kwargs.pop("format", Format.table)
    color: ColorMode = kwargs.pop("color", ColorMode.auto)
    limit = kwargs.pop("limit", None)
    if fmt.value not in view.formats:
        ok = ", ".join(sorted(view.formats))
        raise CxError(f"{view.id} has no {fmt.value} form; fix: use --format {ok}")
    opts = {o.name: kwargs.get(o.name, o.default) for o in view.options}
    for o in view.options:
        value = opts[o.name]
        if o.choices and value is not None and value not in o.choices:
            raise CxError(f"{o.flag} {value!r}: unknown; fix: use one of {', '.join(o.choices)}")
    where, no_cache = kwargs.pop("where", None), kwargs.pop("no_cache", False)
    cache_dir = kwargs.pop("cache_dir", None)
    ds = open_data(data, kwargs.pop("as_of", None), kwargs.pop("config", None), no_cache, cache_dir)
    shape = output_shape(color, fmt.value, where, limit, opts)
    with printed_once(ds, cache_dir, not no_cache, f"view:{view.id}", shape) as done:
        if done:
            return  # printed from the cache: the views' code is not even imported
        from cxtui import views
        from cxtui.render import render_object

        analysis = analysis_for(ds, where, no_cache, cache_dir, for_clv=view.id == "clv")
        out = view.run(analysis, opts).limited(limit)
        if fmt is Format.json:
            emit_json(out.json_value())
            return
        currency = analysis.ds.config.currency
        if out.summary is not None:
            summary = render_object(out.summary, views.KINDS, fmt.value, out.title, currency)
            _print_any(summary, color)
        for rt in out.tables_for(fmt.value):
            emit(rt, fmt, color)


def _print_any(out: Any, color: ColorMode) -> None:
    from cxtui.render import make_console

    if isinstance(out, str):
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    else:
        make_console(color.value).print(out)


def _register_views() -> None:
    """Every view's command, listed first in `cxtui --help` (in the panes' order),
    then the commands that are not views."""
    from cxtui.viewdefs import all_views

    others = list(app.registered_commands)
    app.registered_commands.clear()
    for view in all_views():
        _view_command(view)
    app.registered_commands.extend(others)


@app.command()
@handles_errors
def account(
    data_or_id: Annotated[
        str, typer.Argument(metavar="[DATA] ID", help="Dataset folder (optional) and customer id.")
    ],
    customer_id: Annotated[str | None, typer.Argument(hidden=True)] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.table,
    where: WhereOpt = None,
    config: ConfigOpt = None,
    color: ColorOpt = ColorMode.auto,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
) -> None:
    """One account in full: profile, KPIs, risk signals, history and next actions."""
    data, cid = (data_or_id, customer_id) if customer_id is not None else (None, data_or_id)
    if customer_id is None and Path(data_or_id).expanduser().is_dir():
        from cxtui.errors import CxError

        raise CxError(
            f"account: {data_or_id!r} looks like a dataset folder, and no customer id was "
            "given; fix: cxtui account DATA ID"
        )
    if format in (Format.csv, Format.csv_raw):
        from cxtui.errors import CxError

        raise CxError("account has no CSV form; fix: use --format json, markdown or table")
    ds = open_data(data, as_of, config, no_cache, cache_dir)
    shape = output_shape(color, format.value, where, cid)
    with printed_once(ds, cache_dir, not no_cache, "account", shape) as done:
        if done:
            return  # printed from the cache: the views' code is not even imported
        from cxtui import views
        from cxtui.render.account import account_json, account_markdown, account_renderables

        # for_clv: the account's p_alive and clv_12m come from the CLV fit
        analysis = analysis_for(ds, where, no_cache, cache_dir, for_clv=True)
        result = views.account_result(analysis, cid)
        currency = analysis.ds.config.currency
        if format is Format.json:
            emit_json(account_json(result))
        elif format is Format.markdown:
            sys.stdout.write(account_markdown(result, currency))
        else:
            from cxtui.render import make_console

            console = make_console(color.value)
            for part in account_renderables(result, currency, console.width):
                console.print(part)


@app.command()
@handles_errors
def report(
    data: DataArg = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.table,
    where: WhereOpt = None,
    config: ConfigOpt = None,
    color: ColorOpt = ColorMode.auto,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
) -> None:
    """Every pane in one readable document, like a monthly customer report."""
    from cxtui.errors import CxError

    if format in (Format.csv, Format.csv_raw):
        raise CxError("report has no CSV form; fix: use --format table, markdown or json")
    ds = open_data(data, as_of, config, no_cache, cache_dir)
    shape = output_shape(color, format.value, where)
    with printed_once(ds, cache_dir, not no_cache, "report", shape) as done:
        if done:
            return  # printed from the cache: the report's code is not even imported
        from cxtui.render import json_dumps, make_console
        from cxtui.report import build_report, report_json, report_markdown, report_renderables

        # for_clv: the report fits the CLV models
        analysis = analysis_for(ds, where, no_cache, cache_dir, for_clv=True)
        with working(f"computing the report for {ds.root}…"):
            rep = build_report(analysis)
        if format is Format.json:
            sys.stdout.write(json_dumps(report_json(rep)) + "\n")
        elif format is Format.markdown:
            sys.stdout.write(report_markdown(rep))
        else:
            console = make_console(color.value)
            with console.capture() as captured:  # printed at once, not part by part
                for part in report_renderables(rep, console.width):
                    console.print(part)
            sys.stdout.write(captured.get())


@app.command()
@handles_errors
def validate(
    data: DataArg = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.table,
    config: ConfigOpt = None,
    color: ColorOpt = ColorMode.auto,
) -> None:
    """Check schema and data quality; exit 1 when an error is found, 0 with warnings only."""
    from cxtui.data.validate import findings_table, validate_dataset

    root = resolve_data(data)
    with working(f"checking {root}…"):
        findings = validate_dataset(root, config, parse_as_of(as_of))
    rt = findings_table(findings)
    _emit_table(rt, format, color)
    if any(f.level == "error" for f in findings):
        raise typer.Exit(1)


class Engine(StrEnum):
    polars = "polars"
    spark = "spark"


@app.command()
@handles_errors
def build(
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write the analysis store into (replaced).")
    ],
    data: DataArg = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="polars: in this process; spark: with Spark, in local mode or on a cluster "
            "(needs the spark extra of cxtui, see docs/scale.md).",
            case_sensitive=False,
        ),
    ] = Engine.polars,
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            metavar="URL",
            help="Spark master, e.g. spark://HOST:7077 (default: local[2]).",
        ),
    ] = None,
    spark_remote: Annotated[
        str | None,
        typer.Option(
            "--spark-remote", metavar="sc://HOST:PORT", help="A Spark Connect server to use."
        ),
    ] = None,
    as_of: AsOfOpt = None,
    config: ConfigOpt = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write the dataset's probe cache.")
    ] = False,
    cache_dir: CacheDirOpt = None,
) -> None:
    """Write an analysis store: the facts and the tables every view reads, as Parquet."""
    from cxtui.engine import default_cache_dir
    from cxtui.engine.store import build_store

    root = resolve_data(data)
    with working(f"building the analysis store of {root} with {engine.value}…"):
        manifest = build_store(
            root,
            out,
            engine=engine.value,
            spark_master=spark_master,
            spark_remote=spark_remote,
            as_of=parse_as_of(as_of),
            config=config,
            cache_dir=None if no_cache else (cache_dir or default_cache_dir()),
        )
    tables = ", ".join(f"{t} {info['rows']:,}" for t, info in manifest["tables"].items())
    sys.stderr.write(
        f"wrote {out}: {manifest['files']['facts.parquet']:,} customers as of "
        f"{manifest['as_of']} ({manifest['engine']}, {manifest['build_seconds']:.1f} s); "
        f"tables: {tables}\n"
    )


@app.command()
@handles_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the dataset into.")],
    customers: Annotated[
        int, typer.Option("--customers", min=10, help="Number of customers.")
    ] = 12_458,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")] = 7,
    force: Annotated[
        bool, typer.Option("--force", help="Write into a folder that already holds tables.")
    ] = False,
) -> None:
    """Write a deterministic synthetic dataset (every table of the data contract)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cxtui.demo import generate_demo
    from cxtui.errors import CxError

    if out.exists() and any(out.glob("*.parquet")) and not force:
        raise CxError(f"{out}: already holds Parquet files; fix: choose another --out or --force")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        transient=False,
        disable=not sys.stderr.isatty(),
        console=__import__("rich.console").console.Console(stderr=True),
    ) as progress:
        task = progress.add_task(f"{customers:,} customers", total=1.0)

        def report_progress(stage: str, done: float) -> None:
            progress.update(task, completed=done, description=stage)

        rows = generate_demo(out, customers, seed=seed, progress=report_progress)
    summary = ", ".join(f"{t} {n:,}" for t, n in rows.items())
    sys.stderr.write(f"wrote {out}: {summary}\n")


@app.command(hidden=True)
@handles_errors
def tui(
    data: DataArg = None,
    as_of: AsOfOpt = None,
    where: WhereOpt = None,
    config: ConfigOpt = None,
    no_cache: NoCacheOpt = False,
    cache_dir: CacheDirOpt = None,
) -> None:
    """Open the interactive explorer (also: `cxtui [DATA]`)."""
    from cxtui.tui.app import run_app

    run_app(
        resolve_data(data),
        config=config,
        as_of=parse_as_of(as_of),
        where=where,
        cache_dir=cache_dir,
        use_cache=not no_cache,
    )


_register_views()

# Every command's name: `cxtui DATA` with no command opens the TUI.
COMMANDS = {
    c.name or c.callback.__name__.replace("_", "-")
    for c in app.registered_commands
    if c.callback is not None
}


def main() -> None:
    """Entry point: `cxtui [DATA] [options]` without a command opens the TUI."""
    argv = sys.argv[1:]
    first = next((a for a in argv if not a.startswith("-")), None)
    wants_help = any(a in ("-h", "--help", "--version") for a in argv)
    if first not in COMMANDS and not (wants_help and first is None):
        argv = ["tui", *argv]
    try:
        code = app(args=argv, prog_name="cxtui", standalone_mode=False)
    except typer.TyperException as exc:
        # a bad option value, an unknown option, a missing argument: one line,
        # like every other error (Typer's own display is a multi-line box)
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "cxtui"
        message = " ".join(exc.format_message().split())
        _fail(f"{message}; fix: see `{where} --help`")
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    code = code if isinstance(code, int) else 0
    if argv[0] != "tui" and code == 0 and not wants_help:
        _exit_now()
    sys.exit(code)


def _exit_now() -> None:
    """A printing command is done (its output written, the cache writes joined in
    `handles_errors`): leave without the interpreter's teardown, which frees
    every frame one by one (~0.07 s after a report on M) for memory the system
    takes back anyway. The TUI and errors take the usual way out."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        return  # let the usual exit deal with a closed pipe
    os._exit(0)


if __name__ == "__main__":
    main()
