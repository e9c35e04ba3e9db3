"""Language processing shared by the NLU components, the knowledge base and the goal classifier.

Tokenisation (spaCy blank pipelines), lemmas (Morfeusz 2 for Polish, spaCy lookup tables for
English), language detection, and matching of term lists over lemmas.
"""

LANGUAGES = ("pl", "en")
"""The languages the assistant speaks, the first the default; the one definition of them."""
MESSAGE_LANGUAGE = "language"
"""The parse-data key holding a message's language, decided once by the NLU pipeline
(bot/components/term_entities.py); the one definition of it."""
