"""The second opinion on intents (bot/components/second_opinion.py) and the real-question figures."""

from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bench.real_corpus import Item
from bench.real_questions import outcome, summarise
from bot.components.morphology_tokenizer import MorphologyTokenizer
from bot.components.second_opinion import SecondOpinionClassifier, names_its_aspect

EXAMPLES = {
    "ask_budget": ["jaki budżet ma plan marketingowy", "ile pieniędzy wydać na plan sprzedaży",
                   "budżet planu sprzedaży"],
    "ask_team": ["kto realizuje plan sprzedaży", "który zespół wdraża plan marketingowy"],
    "follow_up": ["a zespół sprzedaży?", "a co z zespołem marketingu?", "a kto w zespole sprzedaży?"],
    "out_of_scope": ["jak napisać biznesplan krok po kroku", "szablon biznesplanu do pobrania",
                     "prognoza sprzedaży na przyszły rok"],
}


@pytest.fixture(scope="module")
def tokenizer():
    return MorphologyTokenizer(MorphologyTokenizer.get_default_config())


def tokenized(tokenizer, text, intent=None, confidence=None):
    message = Message(data={TEXT: text})
    message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
    if intent:
        message.set(INTENT, intent if confidence is None else {"name": intent, "confidence": confidence})
        message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence or 1.0}])
    return message


@pytest.fixture
def trained(tokenizer, tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("second_opinion")
    config = {**SecondOpinionClassifier.get_default_config(), "max_df": 1.0}
    component = SecondOpinionClassifier.create(config, storage, resource, None)
    data = TrainingData([tokenized(tokenizer, text, intent) for intent, texts in EXAMPLES.items() for text in texts])
    component.train(data)
    return config, storage, resource, component


def test_an_uncertain_answer_the_neighbours_dispute_becomes_did_you_mean(tokenizer, trained):
    *_, component = trained
    message = tokenized(tokenizer, "jak napisać szablon biznesplanu krok po kroku", "ask_budget", 0.5)
    component.process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"
    assert [r["name"] for r in message.get(INTENT_RANKING_KEY)] == ["nlu_fallback", "ask_budget"]


def test_an_answer_the_neighbours_confirm_or_a_confident_one_stays(tokenizer, trained):
    *_, component = trained
    agreed = tokenized(tokenizer, "ile wydać na budżet planu marketingowego", "ask_budget", 0.5)
    confident = tokenized(tokenizer, "jak napisać biznesplan dla planu marketingowego", "ask_budget", 0.95)
    chitchat = tokenized(tokenizer, "szablon biznesplanu", "greet", 0.4)
    component.process([agreed, confident, chitchat])
    assert [m.get(INTENT)["name"] for m in (agreed, confident, chitchat)] == ["ask_budget", "ask_budget", "greet"]


def test_the_index_is_persisted_with_the_model(tokenizer, trained):
    config, storage, resource, _ = trained
    loaded = SecondOpinionClassifier.load(config, storage, resource, None)
    assert loaded.neighbour_vote(["kto", "realizowac", "plan", "sprzedaz"]) == "ask_team"
    assert loaded.neighbour_vote([]) is None


def _with_aspect(message, aspect):
    message.set("entities", [{"entity": "aspect", "value": aspect}])
    return message


def test_a_follow_up_vote_agrees_with_the_named_aspect_only(tokenizer, trained):
    *_, component = trained
    text = "a konkretnie co robi zespół sprzedaży"
    assert component.neighbour_vote([t.lemma for t in tokenized(tokenizer, text).get(TOKENS_NAMES[TEXT])]) == "follow_up"
    named = _with_aspect(tokenized(tokenizer, text, "ask_team", 0.5), "team")
    other = _with_aspect(tokenized(tokenizer, text, "ask_budget", 0.5), "team")
    unnamed = tokenized(tokenizer, text, "ask_team", 0.5)
    component.process([named, other, unnamed])
    assert named.get(INTENT)["name"] == "ask_team"
    assert other.get(INTENT)["name"] == "nlu_fallback"
    assert unnamed.get(INTENT)["name"] == "nlu_fallback"


def test_an_out_of_scope_vote_does_not_overrule_a_question_naming_its_aspect_and_a_plan(tokenizer, trained):
    config, storage, resource, _ = trained
    text = "jak napisać budżet biznesplanu krok po kroku"
    assert SecondOpinionClassifier.load(config, storage, resource, None).neighbour_vote(
        [t.lemma for t in tokenized(tokenizer, text).get(TOKENS_NAMES[TEXT])]) == "out_of_scope"

    def asked(aspect, plan, enabled):
        component = SecondOpinionClassifier.load({**config, "named_question_outvotes_out_of_scope": enabled},
                                                 storage, resource, None)
        message = tokenized(tokenizer, text, "ask_budget", 0.5)
        message.set("entities", [{"entity": "aspect", "value": aspect}] + ([{"entity": "plan", "value": plan}] if plan else []))
        component.process([message])
        return message.get(INTENT)["name"]

    assert asked("budget", "marketing", enabled=True) == "ask_budget"
    assert asked("budget", None, enabled=True) == "nlu_fallback"        # no plan named
    assert asked("team", "marketing", enabled=True) == "nlu_fallback"   # not the intent's aspect
    assert asked("budget", "marketing", enabled=False) == "nlu_fallback"


def test_real_question_outcomes_and_figures():
    buttons = [{"text": "Czy chodziło o któryś z tych tematów?", "buttons": [{"title": "Budżet", "payload": "/ask_budget"}]},
               {"custom": {"source": None, "fallback": True}}]
    assert outcome(buttons) == "did_you_mean"
    assert outcome([{"custom": {"source": {"id": "budget/sales", "section": "6"}}}]) == "answer:budget/sales"
    assert outcome([{"custom": {"source": None, "fallback": True}}]) == "decline"
    assert outcome([{"text": "Cześć!"}]) == "none"

    def item(label):
        return Item("questions", "pl", "t", label, "https://example.com/a", "test")

    figures = summarise([item("budget/sales"), item("team/sales"), item("decline"), item("decline")],
                        ["answer:budget/sales", "did_you_mean", "answer:budget/both", "decline"])["pl"]
    assert figures["right_entry"] == 0.5 and figures["in_dym"] == 1
    assert figures["oos_handled"] == 0.5 and figures["oos_wrong"] == 1
    assert figures["dym_rate"] == 0.25


def test_only_an_ask_intent_names_its_aspect():
    message = Message(data={"text": "jaki budżet?", "entities": [{"entity": "aspect", "value": "budget"}]})
    assert names_its_aspect("ask_budget", message)
    assert not names_its_aspect("ask_team", message)
    assert not names_its_aspect("faq_budget", message)  # an FAQ id equal to an aspect's is not its aspect
