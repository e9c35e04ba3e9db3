"""The structured knowledge base: content files, database models, loader and repository."""

from language import LANGUAGES  # noqa: F401 (re-exported: the knowledge base speaks these)

ASPECTS = ("overview", "definition", "goals", "scope", "tools", "team", "budget", "evaluation", "combining")
PLANS = ("sales", "marketing")
PLAN_VIEWS = PLANS + ("both",)
MAX_USER_ID_CHARS = 255
"""A user id is a conversation id: Rasa's SQL tracker store keeps sender ids in a VARCHAR(255).
(Here rather than in knowledge.models, so that checking an id imports no SQLAlchemy.)"""
