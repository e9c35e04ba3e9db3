"""A Rasa tokenizer that gives every token its folded lemma (Morfeusz 2 / spaCy lookups).

The message's language is detected first and stored on the message, so that later components
(the term entity extractor) reuse it. With `use_lemma` (the default) Rasa's
CountVectorsFeaturizer then sees "budżet", "budżetu" and "budzetu" as the same feature.
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

import language
from language.detect import detect_language
from language.focus import in_spans, question_spans
from language.folding import fold
from language.lemmatizer import get_lemmatizer

DETECTED_LANGUAGE = "detected_language"
"""Message key holding the language detected from the text ("pl", "en" or None)."""
EMPTY_TOKEN = "__empty__"
"""The token of a message with no text at all."""
ANALYSIS_LANGUAGE = "analysis_language"
"""Message key holding the language the text was lemmatised in."""
FOCUS_SPANS = "focus_spans"
"""Message key holding the (start, end) spans of the text's question (language.focus)."""


def focus_spans(message: Message) -> List[Tuple[int, int]]:
    """Find (once) and store the spans of the message's text that carry its question."""
    if message.get(FOCUS_SPANS) is None:
        message.set(FOCUS_SPANS, question_spans(message.get(TEXT) or ""))
    return message.get(FOCUS_SPANS)


def message_language(message: Message, default: str) -> Optional[str]:
    """Detect (once) and store the language of the message's text."""
    if message.get(ANALYSIS_LANGUAGE) is None:
        detected = detect_language(message.get(TEXT) or "", get_lemmatizer())
        message.set(DETECTED_LANGUAGE, detected)
        message.set(ANALYSIS_LANGUAGE, detected or default)
    return message.get(ANALYSIS_LANGUAGE)


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
            # language used to lemmatise text whose language cannot be told (e.g. "ok")
            "default_language": "pl",
            # features only from the question sentences of a message with a preamble
            "question_focus": True,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The source of the text analysis: Rasa's training cache fingerprints a component by
        its class and config only, so an edited focus or lemmatiser would otherwise leave the
        featurizers and classifiers trained on the old tokens."""
        digest = hashlib.sha256()
        for path in sorted(Path(language.__file__).parent.glob("*.py")) + [Path(__file__)]:
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._default_language = config["default_language"]
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
        if attribute == TEXT:
            language = message_language(message, self._default_language)
        else:
            language = detect_language(text, self._lemmatizer) or self._default_language
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
