"""The structured knowledge base: content files, database models, loader and repository."""

from language import LANGUAGES  # noqa: F401 (re-exported: the knowledge base speaks these)

ASPECTS = ("overview", "definition", "goals", "scope", "tools", "team", "budget", "evaluation", "combining")
PLANS = ("sales", "marketing")
PLAN_VIEWS = PLANS + ("both",)
FAQS = ("difference_sales_marketing", "marketing_plan_includes_sales")
"""The frequently asked questions the guide answers (entries `faq/<id>`, intents `faq_<id>`)."""
PLAN_ID_PATTERN = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
"""A saved plan's id: a UUID, lower-case, with dashes (anything else is refused before any query)."""
MAX_USER_ID_CHARS = 255
"""A user id is a conversation id: Rasa's SQL tracker store keeps sender ids in a VARCHAR(255).
(Here rather than in knowledge.models, so that checking an id imports no SQLAlchemy.)"""
