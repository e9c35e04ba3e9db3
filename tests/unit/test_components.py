"""The custom Rasa components: lemma tokens and rule-based entities from the knowledge base."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components import morphology_tokenizer, term_entities
from bot.components.morphology_tokenizer import MorphologyTokenizer
from bot.components.term_entities import TermEntityExtractor
from language import MESSAGE_LANGUAGE
from language.lemmatizer import Lemmatizer
from tests.unit.test_lemmatizer_recent import MESSAGES, CountingLemmatizer


@pytest.fixture(scope="module")
def tokenizer():
    return MorphologyTokenizer(MorphologyTokenizer.get_default_config())


@pytest.fixture
def extractor(loaded_kb, tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    component = TermEntityExtractor.create(
        TermEntityExtractor.get_default_config(), LocalModelStorage(tmp_path), Resource("term_entities"), None
    )
    component.train(TrainingData())  # the terms are read when the model is trained
    return component


def entities(extractor, text, intent=None, metadata=None):
    message = Message(data={TEXT: text, "metadata": metadata or {}})
    if intent:
        message.set(INTENT, {"name": intent, "confidence": 0.9})
    extractor.process([message])
    found = {(e["entity"], e["value"]) for e in message.get(ENTITIES)}
    return found | ({("language", message.get("language"))} if message.get("language") else set())


def test_tokens_carry_folded_lemmas(tokenizer):
    message = Message(data={TEXT: "Jaki budżet ma plan sprzedazowy?"})
    tokens = tokenizer.tokenize(message, TEXT)
    assert [t.lemma for t in tokens][1:] == ["budzet", "miec", "plan", "sprzedazowy"]
    assert [t.text for t in tokens][:2] == ["Jaki", "budżet"]
    assert message.get("written_language") == "pl"


@pytest.mark.parametrize("text", ["🙂🙂", "?!", "<>"])
def test_symbol_only_message_still_has_a_token(tokenizer, text):
    assert tokenizer.tokenize(Message(data={TEXT: text}), TEXT)


@pytest.mark.parametrize("text, expected", [
    ("jaki budzet ma plan marketingowy", {("aspect", "budget"), ("plan", "marketing"), ("language", "pl")}),
    ("Kto realizuje plan sprzedaży?", {("aspect", "team"), ("plan", "sales"), ("language", "pl")}),
    ("planu sprzedażowego budżetem", {("aspect", "budget"), ("plan", "sales"), ("language", "pl")}),
    ("Who carries out the sales plan?", {("aspect", "team"), ("plan", "sales"), ("language", "en")}),
    ("How do you evaluate a marketing plan?", {("aspect", "evaluation"), ("plan", "marketing"), ("language", "en")}),
    # a word pointing back to the plan of the previous answer (terms.yml `references`)
    ("How do I evaluate it?", {("aspect", "evaluation"), ("reference", "plan"), ("language", "en")}),
    ("Jak ocenić ten plan w praktyce?", {("aspect", "evaluation"), ("reference", "plan"), ("language", "pl")}),
    ("Który z nich wymaga większego budżetu?", {("aspect", "budget"), ("language", "pl")}),
    # the two plans named together (terms.yml plans `both`), inflected
    ("Jak ocenić skuteczność obu planów?", {("aspect", "evaluation"), ("plan", "both"), ("language", "pl")}),
    ("Can I combine the two plans?", {("aspect", "combining"), ("plan", "both"), ("language", "en")}),
])
def test_aspect_and_plan_entities_from_knowledge_base_terms(extractor, text, expected):
    assert entities(extractor, text) == expected


def test_requested_language_wins_on_switch_requests(extractor):
    assert ("language", "en") in entities(extractor, "mów po angielsku", intent="switch_language")
    assert ("language", "pl") in entities(extractor, "in Polish please", intent="switch_language")
    # a language named in an ordinary question does not switch
    assert ("language", "pl") in entities(extractor, "czy angielski rynek potrzebuje planu?", intent="ask_definition")


def test_channel_language_is_used_when_the_text_does_not_tell(extractor):
    assert ("language", "en") in entities(extractor, "12", metadata={"lang": "en"})
    assert not any(kind == "language" for kind, _ in entities(extractor, "12"))


def _pipeline(tokenizer, extractor, text):
    """The tokens (text, start, end, lemma), entities and language the two components give `text`."""
    message = Message(data={TEXT: text})
    tokenizer.process([message])
    extractor.process([message])
    tokens = [(t.text, t.start, t.end, t.lemma) for t in message.get(TOKENS_NAMES[TEXT])]
    return tokens, message.get(ENTITIES), message.get(MESSAGE_LANGUAGE)


def _reference_components(monkeypatch, lemmatizer):
    """A tokenizer and a term extractor that use `lemmatizer` (from the same knowledge base)."""
    with monkeypatch.context() as patch:
        patch.setattr(morphology_tokenizer, "get_lemmatizer", lambda: lemmatizer)
        patch.setattr(term_entities, "get_lemmatizer", lambda: lemmatizer)
        tokenizer = MorphologyTokenizer(MorphologyTokenizer.get_default_config())
        return tokenizer, TermEntityExtractor(
            TermEntityExtractor.get_default_config(), term_entities._terms_from_knowledge_base()
        )


def test_pipeline_gives_what_a_fresh_analysis_gives_on_every_real_line(tokenizer, extractor, monkeypatch):
    """The term extractor reuses the tokenizer's analysis of the message (the lemmatiser keeps
    its last few): tokens, lemmas, entities and language equal those of analysing it anew, on
    every line of the training data and of the real questions and goals."""
    fresh_tokenizer, fresh_extractor = _reference_components(monkeypatch, Lemmatizer(recent_analyses=0))
    differing = [text for text in MESSAGES
                 if _pipeline(tokenizer, extractor, text) != _pipeline(fresh_tokenizer, fresh_extractor, text)]
    assert not differing, f"{len(differing)} of {len(MESSAGES)} differ"


def test_pipeline_analyses_a_message_once(loaded_kb, monkeypatch):
    lemmatizer = CountingLemmatizer()
    tokenizer, extractor = _reference_components(monkeypatch, lemmatizer)
    lemmatizer.analysed.clear()  # the terms' phrases, analysed when the matcher was built
    text = "Ile kosztuje plan sprzedaży?"
    assert ("plan", "sales") in {(e["entity"], e["value"]) for e in _pipeline(tokenizer, extractor, text)[1]}
    assert lemmatizer.analysed == [(text, "pl")]


def plan_entities(extractor, text):
    message = Message(data={TEXT: text, "metadata": {}})
    extractor.process([message])
    return [(e["value"], e.get("role")) for e in message.get(ENTITIES) if e["entity"] == "plan"]


@pytest.mark.parametrize("text, expected", [
    # a question naming no plan: its words suggest one, as a `hint`
    ("Jak określić budżet kampanii reklamowej?", [("marketing", "hint")]),
    ("What does a market research budget depend on?", [("marketing", "hint")]),
    ("Kluczowe mierniki efektywności handlowca", [("sales", "hint")]),
    # a named plan wins; words suggesting both plans suggest none
    ("Ile handlowców potrzebuje plan marketingowy?", [("marketing", None)]),
    ("Kampania i handlowcy: kto za co odpowiada?", []),
    ("Jak ocenić skuteczność?", []),
])
def test_plan_hints_suggest_a_plan_only_when_none_is_named(extractor, text, expected):
    """terms.yml's `plan_hints`, read from the knowledge base like the other terms."""
    assert plan_entities(extractor, text) == expected


def test_no_plan_hints_without_them_in_the_terms(loaded_kb):
    terms = {kind: targets for kind, targets in term_entities._terms_from_knowledge_base().items()
             if kind != term_entities.HINT_KIND}
    without = TermEntityExtractor(TermEntityExtractor.get_default_config(), terms)
    assert plan_entities(without, "Jak określić budżet kampanii reklamowej?") == []


def test_a_hinted_plan_is_not_a_named_plan():
    found = [{"entity": "plan", "value": "sales"}, {"entity": "plan", "value": "marketing", "role": term_entities.HINT_ROLE},
             {"entity": "aspect", "value": "budget"}]
    assert term_entities.named_plans(found) == ["sales"]
