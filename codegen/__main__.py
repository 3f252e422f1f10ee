"""``python -m codegen <command>``: see ``--help``.

Exit status 0 on success, 1 on a problem in the spec or environment (reported as text,
no traceback), 2 on bad command-line usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import paths
from .errors import CodegenError

__all__ = ["EXIT_BREAKING", "main"]

EXIT_BREAKING = 3
"""``diff --fail-on-breaking`` found a breaking change (1 and 2 mean errors, see above)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.run(args)
    except CodegenError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m codegen",
        description="Pull, normalise and generate the Synerise spec into synerise_async/.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    pull = commands.add_parser(
        "pull",
        help="download the published spec (whole-API document by default) and update the lock",
        description=(
            "Without options: download the default whole-API document of codegen/sources.toml, "
            "split it by first tag and replace openapi/documents/ with the parts. All or nothing."
        ),
    )
    pull.add_argument(
        "--whole",
        metavar="NAME_OR_URL",
        help="a [whole.NAME] of sources.toml (openapi-yaml, openapi-json) or a URL of one document",
    )
    pull.add_argument(
        "--no-split",
        action="store_true",
        help="keep the whole-API document as one file, openapi/documents/synerise.<yaml|json>",
    )
    pull.add_argument(
        "--areas",
        action="store_true",
        help="download the per-area documents of sources.toml instead (other documents stay)",
    )
    pull.add_argument(
        "--url",
        action="extend",
        nargs="+",
        default=[],
        metavar="AREA=URL",
        help="per-area mode: download AREA from URL instead of the sources.toml default",
    )
    pull.add_argument("--only", action="store_true", help="pull only the areas given with --url")
    pull.set_defaults(run=_pull)

    lock = commands.add_parser("lock", help="recompute lock entries of hand-written documents")
    lock.add_argument("--check", action="store_true", help="only verify the lock matches the files")
    lock.set_defaults(run=_lock)

    normalise = commands.add_parser("normalise", help="merge, overlay and fix the documents")
    normalise.set_defaults(run=_normalise)

    generate = commands.add_parser("generate", help="normalise, generate, install into the package")
    generate.set_defaults(run=_generate)

    diff = commands.add_parser(
        "diff",
        help="what changed for SDK users between two specs (Markdown for CHANGELOG.md)",
        description=(
            "OLD and NEW: a spec file (JSON or YAML, e.g. synerise_async/api/openapi.json), "
            "a documents directory (normalised with the overlays/ beside it), or REV:path "
            "for either at a git revision, e.g. main:synerise_async/api/openapi.json. "
            f"Exit status 0, or {EXIT_BREAKING} with --fail-on-breaking when a change is breaking."
        ),
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help=f"exit {EXIT_BREAKING} when any change is breaking",
    )
    diff.add_argument("--summary", action="store_true", help="print the short summary only")
    diff.set_defaults(run=_diff)

    check = commands.add_parser("check", help="fail if the committed generated code is stale")
    check.set_defaults(run=_check)

    coverage = commands.add_parser("coverage", help="render openapi/COVERAGE.md from the documents")
    coverage.set_defaults(run=_coverage)
    return parser


def _pull(args: argparse.Namespace) -> int:
    from .pull import load_sources, pull, pull_whole

    areas_mode = args.areas or args.only or bool(args.url)
    if areas_mode and (args.whole or args.no_split):
        raise CodegenError("--whole/--no-split and --areas/--url/--only cannot be combined.")
    if not areas_mode:
        sources = load_sources()
        choice = args.whole or sources.default_whole
        source = sources.whole.get(choice)
        url = source.url if source is not None else choice
        if source is None and "://" not in choice:
            raise CodegenError(
                f"--whole {choice!r} is neither a URL nor one of {sorted(sources.whole)}."
            )
        lines = pull_whole(url, split=not args.no_split)
        if source is not None and source.inferred:
            lines.append(f"note: {url} is an inferred URL ({source.note})")
    else:
        urls = {} if args.only else {n: s.url for n, s in load_sources().areas.items()}
        for item in args.url:
            area, sep, url = item.partition("=")
            if not sep or not area or not url:
                raise CodegenError(f"--url expects AREA=URL, got {item!r}.")
            urls[area] = url
        if not urls:
            raise CodegenError("--only needs at least one --url AREA=URL.")
        lines = pull(urls)
    for line in lines:
        print(line)
    return 0


def _lock(args: argparse.Namespace) -> int:
    from .lock import update_lock, verify_lock

    if args.check:
        problems = verify_lock()
        if problems:
            raise CodegenError(f"{paths.LOCK_FILE.name} does not match the documents:", problems)
        print(f"{paths.LOCK_FILE.name} matches openapi/documents/.")
        return 0
    for line in update_lock() or ["no changes"]:
        print(line)
    return 0


def _normalise(args: argparse.Namespace) -> int:
    from .normalise import normalise, write_build

    doc, report = normalise()
    spec_path = write_build(doc, report)
    print(report.render(), end="")
    print(f"wrote {spec_path.relative_to(paths.ROOT)} ({len(report.lines)} change(s))")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from .diff import diff_specs, render_summary
    from .generate import generate_package, install, temporary_directory
    from .normalise import normalise, write_build

    started = time.monotonic()
    doc, report = normalise()
    write_build(doc, report)
    shipped = _shipped_spec()
    with temporary_directory() as scratch:
        generated = generate_package(doc, scratch)
        install(generated)
        operations = sum(1 for p in (generated / "api").rglob("*.py") if p.name != "__init__.py")
        models = sum(1 for p in (generated / "models").glob("*.py") if p.name != "__init__.py")
    print(
        f"generated {operations} operations and {models} models/enums into "
        f"{paths.PACKAGE_NAME}/ in {time.monotonic() - started:.1f}s "
        f"({len(report.lines)} normaliser change(s), see {paths.REPORT_FILE.relative_to(paths.ROOT)})"
    )
    if shipped is None:
        print("no previously shipped spec to compare with")
    else:
        print(render_summary(diff_specs(shipped, doc)), end="")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from .diff import diff_specs, load_spec, render_markdown, render_summary

    old, old_label = load_spec(args.old)
    new, new_label = load_spec(args.new)
    result = diff_specs(old, new)
    if args.summary:
        print(render_summary(result), end="")
    else:
        print(render_markdown(result, old_label, new_label), end="")
    return EXIT_BREAKING if args.fail_on_breaking and result.breaking else 0


def _shipped_spec() -> dict[str, object] | None:
    """The spec the package was last generated from, read before ``install`` replaces it."""
    import json

    shipped = paths.PACKAGE_DIR / "api" / "openapi.json"
    try:
        loaded = json.loads(shipped.read_bytes())
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _check(args: argparse.Namespace) -> int:
    from .generate import generate_package, temporary_directory, tree_diff
    from .normalise import normalise

    doc, _report = normalise()
    with temporary_directory() as scratch:
        generated = generate_package(doc, scratch)
        drift = tree_diff(generated, paths.PACKAGE_DIR)
    if drift:
        shown = drift[:20] + ([f"... and {len(drift) - 20} more"] if len(drift) > 20 else [])
        raise CodegenError(
            f"Generated code is stale ({len(drift)} file(s)); run `make generate` and commit:",
            shown,
        )
    print("Generated code matches openapi/.")
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from .coverage import write_coverage

    print(f"wrote {write_coverage().relative_to(paths.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
