"""`advisor report` and `advisor review`: thin handlers, imported lazily by bot/cli.py."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple

from bot.settings import PROJECT_DIR, get_settings, safe_url

if TYPE_CHECKING:
    from knowledge.loader import ContentError

# spaCy's thinc imports TensorFlow and JAX when they are installed (Rasa installs them): 7 of the
# report's 10 seconds on a busy machine. The report needs spaCy's tokenizer and lookup tables
# only, so this process tells thinc they are absent (thinc treats that as "not installed").
ML_FRAMEWORKS = ("tensorflow", "torch", "jax", "mxnet", "cupy")
DEFAULT_SINCE = "30d"
SINCE_HELP = "30d (default), 12h, 2w, a date (2026-11-01) or all"


def _without_ml_frameworks() -> None:
    for name in ML_FRAMEWORKS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def _from_store(
    args: argparse.Namespace, text_of: Callable[[str, Optional[float], Dict[str, Any]], str]
) -> Tuple[int, Optional[Dict[str, Any]], str]:
    """(exit code, figures, text): the report's figures since `--since` from the tracker store, and
    `text_of(url, since, figures)`. A bad `--since` (2) or a failing store (1) is printed, with no
    figures and no text."""
    from analytics.report import build_report
    from analytics.store import StoreError, parse_since

    url = get_settings().tracker_store_url
    try:
        since = parse_since(args.since)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2, None, ""
    try:
        figures = build_report(url, since)
        return 0, figures, text_of(url, since, figures)
    except StoreError as error:
        print(f"{safe_url(url)}: {error}", file=sys.stderr)
        return 1, None, ""


def _invalid_content(error: ContentError) -> int:
    """Print the content's problems; the exit code."""
    print("\n".join(error.problems) + "\nthe knowledge base content is not valid: run `advisor kb validate`",
          file=sys.stderr)
    return 1


def report(args: argparse.Namespace) -> int:
    _without_ml_frameworks()
    from analytics.report import public, transcripts

    def text_of(url: str, since: Optional[float], figures: Dict[str, Any]) -> str:
        if args.format == "json":
            return json.dumps(public(figures), ensure_ascii=False, indent=2) + "\n"
        from analytics.html import render

        return render(figures, transcripts(url, figures, since))

    code, figures, text = _from_store(args, text_of)
    if code:
        return code
    if args.out:
        try:
            Path(args.out).write_text(text, encoding="utf-8")
        except OSError as error:
            print(f"cannot write {args.out}: {error.strerror or error}", file=sys.stderr)
            return 2
        print(f"wrote {args.out}: {figures['conversations']} conversations, {figures['messages']} messages, "
              f"{figures['unanswered_total']} not answered", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def review_export(args: argparse.Namespace) -> int:
    _without_ml_frameworks()
    from analytics.review import worklist_yaml
    from knowledge.loader import ContentError

    try:
        code, _, text = _from_store(
            args, lambda url, since, figures: worklist_yaml(figures["unanswered"], since=args.since))
    except ContentError as error:
        return _invalid_content(error)
    if code:
        return code
    sys.stdout.write(text)
    return 0


def review_apply(args: argparse.Namespace) -> int:
    from analytics.review import ReviewError, apply_review
    from knowledge.loader import ContentError

    try:
        summary = apply_review(Path(args.file), nlu_dir=Path(args.nlu_dir), dry_run=args.dry_run)
    except ContentError as error:
        return _invalid_content(error)
    except ReviewError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in {args.file}: nothing was written", file=sys.stderr)
        return 1
    for line in summary.lines():
        print(line)
    return 0


def register(commands: "argparse._SubParsersAction") -> None:
    """Add `report` and `review` to the `advisor` parser."""
    report_parser = commands.add_parser("report", help="what people asked, what failed, feedback, plan building")
    report_parser.add_argument("--since", default=DEFAULT_SINCE, help=SINCE_HELP)
    report_parser.add_argument("--format", choices=("html", "json"), default="html", help="html (default) or json")
    report_parser.add_argument("--out", help="write to this file (default: standard output)")
    report_parser.set_defaults(handler=report)

    review = commands.add_parser("review", help="turn declined and did-you-mean questions into training data")
    review_commands = review.add_subparsers(dest="review_command", required=True)
    export = review_commands.add_parser("export", help="print the failed questions, grouped, as a YAML worklist")
    export.add_argument("--since", default=DEFAULT_SINCE, help=SINCE_HELP)
    export.set_defaults(handler=review_export)
    apply = review_commands.add_parser("apply", help="add the labelled questions to data/nlu/<lang>/ (all or nothing)")
    apply.add_argument("file", help="the filled-in worklist")
    apply.add_argument("--dry-run", action="store_true", help="validate and show what would be added, write nothing")
    apply.add_argument("--nlu-dir", default=str(PROJECT_DIR / "data" / "nlu"),
                       help="the NLU training data folder with pl/ and en/ (default: data/nlu)")
    apply.set_defaults(handler=review_apply)
