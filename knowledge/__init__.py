"""The structured knowledge base: content files, database models, loader and repository."""

from language import LANGUAGES  # noqa: F401 (re-exported: the knowledge base speaks these)

ASPECTS = ("overview", "definition", "goals", "scope", "tools", "team", "budget", "evaluation", "combining")
PLANS = ("sales", "marketing")
PLAN_VIEWS = PLANS + ("both",)
