"""A Rasa tokenizer that gives every token its folded lemma (Morfeusz 2 / spaCy lookups).

The language the text is written in is detected once per message (`written_language`), for the
lemmas here and as evidence for the message's language (term_entities.py). With `use_lemma` (the
default) Rasa's CountVectorsFeaturizer then sees "budżet", "budżetu" and "budzetu" as the same feature.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

import language as language_package
from language import LANGUAGES
from language.detect import detect_language
from language.focus import in_spans, question_spans
from language.folding import fold
from language.lemmatizer import get_lemmatizer

WRITTEN_LANGUAGE = "written_language"
"""Message key holding the language the text is written in ("pl", "en" or None: cannot tell)."""
EMPTY_TOKEN = "__empty__"
"""The token of a message with no text at all."""
FOCUS_SPANS = "focus_spans"
"""Message key holding the (start, end) spans of the text's question (language.focus)."""


def focus_spans(message: Message) -> List[Tuple[int, int]]:
    """Find (once) and store the spans of the message's text that carry its question."""
    if message.get(FOCUS_SPANS) is None:
        message.set(FOCUS_SPANS, question_spans(message.get(TEXT) or ""))
    return message.get(FOCUS_SPANS)


def written_language(message: Message) -> Optional[str]:
    """The language of the message's text, detected on the first call and kept on the message."""
    if WRITTEN_LANGUAGE not in message.data:
        message.set(WRITTEN_LANGUAGE, detect_language(message.get(TEXT) or "", get_lemmatizer()))
    return message.get(WRITTEN_LANGUAGE)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class MorphologyTokenizer(Tokenizer):
    """Tokenises with spaCy's blank Polish/English tokenizers and lemmatises every token."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            # features only from the question sentences of a message with a preamble
            "question_focus": True,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The source of the text analysis: Rasa's training cache fingerprints a component by
        its class and config only, so an edited focus, lemmatiser or tokenizer (with its spaCy
        rules, language/spacy_data.json) would otherwise leave the featurizers and classifiers
        trained on the old tokens."""
        digest = hashlib.sha256()
        language_dir = Path(language_package.__file__).parent
        for path in sorted(language_dir.glob("*.py")) + sorted(language_dir.glob("*.json")) + [Path(__file__)]:
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._question_focus = config.get("question_focus", True)
        self._lemmatizer = get_lemmatizer()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        written = written_language(message) if attribute == TEXT else detect_language(text, self._lemmatizer)
        language = written or LANGUAGES[0]  # text that tells no language ("12") is read as the default's
        tokens = [
            Token(t.text, t.start, t.end, lemma=t.lemma) for t in self._lemmatizer.tokens(text, language)
        ]
        if attribute == TEXT and self._question_focus:
            spans = focus_spans(message)
            tokens = [t for t in tokens if in_spans(t.start, t.end, spans)] or tokens
        if not tokens:
            # Empty text, emoji or symbols only: keep one token, so that the featurizers give a
            # (zero) feature vector of the right width and the classifier falls back politely.
            stripped = text.strip()[:100]
            start = text.index(stripped) if stripped else 0
            tokens = [Token(stripped or EMPTY_TOKEN, start, start + len(stripped), lemma=fold(stripped) or EMPTY_TOKEN)]
        return self._apply_token_pattern(tokens)
