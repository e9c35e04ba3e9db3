"""The `advisor` console command."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from bot.settings import get_settings, safe_url


def _kb_validate(args: argparse.Namespace) -> int:
    # The loader itself, not knowledge.service: checking files needs no database (SQLAlchemy).
    from knowledge.loader import ContentError, read_content

    settings = get_settings()
    content_dir = args.content or settings.content_dir
    try:
        content = read_content(content_dir)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in {content_dir}", file=sys.stderr)
        return 1
    print(f"OK: {len(content.entries)} entries, {len(content.sections)} sections, {len(content.plans)} plans in {content_dir}")
    return 0


def _kb_load(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from knowledge.loader import ContentError
    from knowledge.service import load

    settings = get_settings()
    content_dir = args.content or settings.content_dir
    if getattr(args, "if_empty", False) and _kb_loaded(settings.knowledge_db_url):
        print(f"The knowledge base at {safe_url(settings.knowledge_db_url)} is loaded; left as it is")
        return 0
    try:
        content = load(content_dir, settings.knowledge_db_url)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s): nothing was loaded, the previous content is unchanged", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"database error, nothing was loaded: {error.__class__.__name__}: {error.orig or error}", file=sys.stderr)
        return 2
    print(f"Loaded {len(content.entries)} entries into {safe_url(settings.knowledge_db_url)}")
    return 0


def _kb_loaded(url: str) -> bool:
    """Whether the database at `url` holds a loaded knowledge base (no tables: not loaded)."""
    from sqlalchemy.exc import SQLAlchemyError

    from knowledge.repository import repository_for

    try:
        return repository_for(url).is_loaded()
    except SQLAlchemyError:
        return False  # a new database has no tables; a server that is down makes the load fail clearly


def _kb_export(args: argparse.Namespace) -> int:
    from knowledge.loader import ContentError
    from knowledge.service import validate

    settings = get_settings()
    try:
        content = validate(args.content or settings.content_dir)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    json.dump(content.export(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _token(args: argparse.Namespace) -> int:
    from bot.tokens import DEVELOPMENT_SECRET, SecretProblem, issue_token, signing_secret

    settings = get_settings()
    try:
        secret = signing_secret(settings)
    except SecretProblem as problem:
        print(problem, file=sys.stderr)
        return 2
    if secret is None:
        print("ADVISOR_JWT_SECRET is not set (or set ADVISOR_DEV_MODE=1 for a development token)", file=sys.stderr)
        return 2
    if secret == DEVELOPMENT_SECRET:
        print("warning: development mode: signed with the public development secret", file=sys.stderr)
    try:
        print(issue_token(secret, args.user, lang=args.lang, name=args.name, ttl_seconds=args.ttl,
                          max_ttl=settings.jwt_max_ttl, audience=settings.jwt_audience, issuer=settings.jwt_issuer))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


def _classify(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from knowledge.classifier import RulesError, classifier_from_repository
    from knowledge.repository import KnowledgeBaseEmpty, repository_for
    from language.detect import detect_language
    from language.lemmatizer import get_lemmatizer

    settings = get_settings()
    if bool(args.text) == (args.file is not None):
        print("give either the goal as words or --file with one goal per line", file=sys.stderr)
        return 2
    try:
        goals = [goal.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for goal in _goals(args)]
    except OSError as error:
        print(f"cannot read {args.file}: {error.strerror or error}", file=sys.stderr)
        return 2
    if not goals:
        print(f"no goal in {args.file}: write one goal per line", file=sys.stderr)
        return 2
    lemmatizer = get_lemmatizer()
    try:
        classifier = classifier_from_repository(repository_for(settings.knowledge_db_url), lemmatizer)
    except (KnowledgeBaseEmpty, SQLAlchemyError) as error:
        detail = "no classifier rules" if isinstance(error, KnowledgeBaseEmpty) else error.__class__.__name__
        print(
            f"the knowledge base at {safe_url(settings.knowledge_db_url)} is not loaded ({detail}): "
            "run `advisor kb load` first",
            file=sys.stderr,
        )
        return 1
    except RulesError as error:
        print(f"{error}\nfix knowledge/content/classifier.yml, then run `advisor kb load`", file=sys.stderr)
        return 1
    for goal in goals:
        lang = args.lang or detect_language(goal, lemmatizer) or "pl"
        print(json.dumps(classifier.classify(goal, lang).to_json(), ensure_ascii=False), flush=True)
    return 0


def _goals(args: argparse.Namespace) -> List[str]:
    """The goal given as words, or every non-blank line of --file (`-`: standard input)."""
    if args.file is None:
        return [" ".join(args.text)]
    # Arguments and files that are not UTF-8 reach Python as lone surrogates or bad bytes, which
    # the tokenizer cannot take: read them as U+FFFD, as a terminal shows them.
    raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    return [line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]


def _plan_export(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from knowledge.drafting import drafting_from_repository, markdown_document, plan_json, render_saved
    from knowledge.plans import InvalidPlanId, plans_for
    from knowledge.repository import KnowledgeBaseEmpty, repository_for

    url = get_settings().knowledge_db_url
    try:
        stored = plans_for(url).get(args.id)
        if stored is None:
            print(f"no saved plan with id {args.id} in {safe_url(url)}", file=sys.stderr)
            return 1
        if args.format == "json":
            print(json.dumps(plan_json(stored), ensure_ascii=False, indent=2))
            return 0
        repository = repository_for(url)
        sys.stdout.write(markdown_document(render_saved(stored, repository, drafting_from_repository(repository))))
    except InvalidPlanId:
        print(f"{args.id!r} is not a plan id: a plan id is a UUID such as 3f2b6c1e-5d4a-4e8b-9c7d-1a2b3c4d5e6f, "
              "shown in chat when a plan is saved", file=sys.stderr)
        return 2
    except (KnowledgeBaseEmpty, SQLAlchemyError) as error:
        print(f"cannot read {safe_url(url)}: {error.__class__.__name__}; run `advisor kb load` first", file=sys.stderr)
        return 1
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from knowledge.db import upgrade_schema

    settings = get_settings()
    urls = {"knowledge": settings.knowledge_db_url, "tracker": settings.tracker_store_url}
    unknown = [name for name in args.databases if name not in urls]
    if unknown:
        print(f"unknown database {unknown[0]!r} (expected knowledge or tracker)", file=sys.stderr)
        return 2
    for database in args.databases or list(urls):
        try:
            revision = upgrade_schema(database, urls[database])
        except SQLAlchemyError as error:
            print(f"{database} database: could not upgrade {safe_url(urls[database])}: {error}", file=sys.stderr)
            return 2
        print(f"{database} database {safe_url(urls[database])}: at revision {revision}")
    return 0


def _data_validate(args: argparse.Namespace) -> int:
    from bot.data_check import check_project

    problems = check_project()
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in the training data or domain", file=sys.stderr)
        return 1
    print("OK: domain, NLU data, rules and stories are valid")
    return 0


def _forget(args: argparse.Namespace) -> int:
    """Right to erasure: one conversation id's events, checkpoint and saved plans."""
    user = args.user
    if not user.strip():
        print("--user must name a conversation id; nothing was deleted", file=sys.stderr)
        return 2
    from pathlib import Path

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot.erasure import forget_conversation
    from knowledge.plans import plans_for

    settings = get_settings()
    try:
        removed = forget_conversation(settings.tracker_store_url, user)
    except SQLAlchemyError as error:
        print(f"cannot clean {safe_url(settings.tracker_store_url)} (nothing was deleted there): "
              f"{error.__class__.__name__}: {getattr(error, 'orig', None) or error}", file=sys.stderr)
        return 1
    print(f"{safe_url(settings.tracker_store_url)}: deleted {removed['events']} event(s) "
          f"and {removed['tracker_checkpoints']} checkpoint(s) of conversation {user!r}")
    url = settings.knowledge_db_url
    parsed = make_url(url)
    try:
        if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
            plans = 0  # no knowledge base file: nothing was ever saved
        else:
            plans = plans_for(url).delete_for_user(user)
    except SQLAlchemyError as error:
        print(f"cannot clean {safe_url(url)} (no saved plan was deleted): "
              f"{error.__class__.__name__}: {getattr(error, 'orig', None) or error}", file=sys.stderr)
        return 1
    print(f"{safe_url(url)}: deleted {plans} saved plan(s) of {user!r}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="advisor", description="The plan advisor's command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    kb = commands.add_parser("kb", help="knowledge base: validate, load, export")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    for name, handler, help_text in (
        ("validate", _kb_validate, "check the content files; exit 1 listing every problem"),
        ("load", _kb_load, "validate, then replace the knowledge base in one transaction"),
        ("export", _kb_export, "print the whole knowledge base as JSON"),
    ):
        sub = kb_commands.add_parser(name, help=help_text)
        sub.add_argument("--content", help="content folder (default: knowledge/content or KNOWLEDGE_CONTENT_DIR)")
        if name == "load":
            sub.add_argument("--if-empty", action="store_true", help="only when the database holds no knowledge base yet")
        sub.set_defaults(handler=handler)

    db = commands.add_parser("db", help="database schemas")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate KNOWLEDGE_DB_URL and TRACKER_STORE_URL to the latest schema")
    upgrade.add_argument("databases", nargs="*", metavar="knowledge|tracker", help="default: both")
    upgrade.set_defaults(handler=_db_upgrade)

    data = commands.add_parser("data", help="Rasa training data and domain")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_commands.add_parser(
        "validate", help="Rasa's validator; fails on any warning not explained by the action code"
    ).set_defaults(handler=_data_validate)

    token = commands.add_parser("token", help="print an intranet-channel token signed with ADVISOR_JWT_SECRET")
    token.add_argument("--user", required=True, help="the employee id; becomes the conversation id")
    token.add_argument("--lang", choices=("pl", "en"), help="the user's language")
    token.add_argument("--name", help="the user's display name")
    token.add_argument("--ttl", type=int, default=3600, help="seconds until the token expires (default 3600)")
    token.set_defaults(handler=_token)

    classify = commands.add_parser("classify", help="sort a business goal into the sales or the marketing plan (JSON)")
    classify.add_argument("--lang", choices=("pl", "en"), help="the language of the reasons (default: detected, else pl)")
    classify.add_argument("text", nargs="*", help="the goal, e.g. \"Zwiększyć sprzedaż o 10%% w tym kwartale\"")
    classify.add_argument("--file", metavar="PATH",
                          help="classify every line of PATH (`-`: standard input), one JSON line per goal, in one start-up")
    classify.set_defaults(handler=_classify)

    plan = commands.add_parser("plan", help="saved plans")
    plan_commands = plan.add_subparsers(dest="plan_command", required=True)
    export = plan_commands.add_parser("export", help="print a saved plan as Markdown (or JSON)")
    export.add_argument("id", help="the plan id shown in chat when the plan was saved")
    export.add_argument("--format", choices=("md", "json"), default="md", help="md (default) or json")
    export.set_defaults(handler=_plan_export)

    forget = commands.add_parser(
        "forget", help="delete one conversation id's events, checkpoint and saved plans (right to erasure)"
    )
    forget.add_argument("--user", required=True,
                        help="the conversation id, exactly: an intranet user's token `sub`, a REST sender id as stored")
    forget.set_defaults(handler=_forget)

    from analytics.cli import register as register_analytics  # argparse only; its work is imported lazily

    register_analytics(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
