"""The structured knowledge base: content files, database models, loader and repository."""

ASPECTS = ("overview", "definition", "goals", "scope", "tools", "team", "budget", "evaluation", "combining")
PLANS = ("sales", "marketing")
PLAN_VIEWS = PLANS + ("both",)
LANGUAGES = ("pl", "en")
