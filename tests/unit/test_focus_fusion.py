"""The question focus of long messages (language/focus.py) and the evidence fusion
(bot/components/evidence_fusion.py)."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.evidence_fusion import EvidenceFusion, fuse
from bot.components.morphology_tokenizer import MorphologyTokenizer
from language.focus import question_spans


def focus(text):
    return [text[s:e] for s, e in question_spans(text)]


def test_a_single_sentence_is_its_own_focus():
    assert focus("Ile kosztuje plan marketingowy") == ["Ile kosztuje plan marketingowy"]
    assert focus("What is a sales plan?") == ["What is a sales plan?"]


def test_the_preamble_is_dropped_when_a_question_follows():
    text = "Changing customer perceptions is hard. And it takes time. How do you know if your marketing plan works?"
    assert focus(text) == ["How do you know if your marketing plan works?"]


def test_a_short_question_keeps_the_sentence_before_it():
    text = "Sales tools are made by marketing. Why, then, are they so bad?"
    assert focus(text) == ["Sales tools are made by marketing.", "Why, then, are they so bad?"]


def test_prose_without_a_question_mark_is_kept_whole():
    text = "Prowadzę sklep. Chcę wiedzieć, ile wydać na marketing."
    assert focus(text) == [text]


def test_the_tokenizer_reads_only_the_question():
    tokenizer = MorphologyTokenizer(MorphologyTokenizer.get_default_config())
    message = Message(data={TEXT: "Mam mały sklep internetowy w Krakowie. Jaki budżet powinien mieć plan marketingowy?"})
    tokens = tokenizer.tokenize(message, TEXT)
    assert [t.text for t in tokens][0] == "Jaki"
    assert all(t.start >= message.get(TEXT).index("Jaki") for t in tokens)


CONFIG = {**EvidenceFusion.get_default_config(), "aspect_weight": 1.0, "out_of_scope_factor": 0.5}
RANKING = [{"name": "out_of_scope", "confidence": 0.6}, {"name": "ask_evaluation", "confidence": 0.3},
           {"name": "greet", "confidence": 0.1}]


def test_a_named_aspect_and_plan_outweigh_out_of_scope():
    fused = fuse(RANKING, ["evaluation"], ["sales"], 6, CONFIG)
    assert fused[0]["name"] == "ask_evaluation"
    assert abs(sum(r["confidence"] for r in fused) - 1.0) < 1e-9


def test_an_aspect_without_a_plan_changes_nothing():
    fused = fuse(RANKING, ["evaluation"], [], 6, CONFIG)
    assert [r["name"] for r in fused] == ["out_of_scope", "ask_evaluation", "greet"]
    assert fused[0]["confidence"] == pytest.approx(0.6)


def test_the_component_keeps_the_classifier_ranking():
    message = Message(data={TEXT: "Czym są wskaźniki sprzedaży?"})
    message.set(TOKENS_NAMES[TEXT], [])
    message.set(INTENT, dict(RANKING[0]))
    message.set(INTENT_RANKING_KEY, RANKING)
    message.set(ENTITIES, [{"entity": "aspect", "value": "evaluation"}, {"entity": "plan", "value": "sales"}])
    EvidenceFusion(CONFIG).process([message])
    assert message.get(INTENT)["name"] == "ask_evaluation"
    assert message.get("classifier_ranking") == RANKING


FOLLOW_UP_CONFIG = {**CONFIG, "follow_up_weight": 1.0}


def test_a_short_message_naming_an_aspect_needs_no_plan():
    ranking = [{"name": "ask_scope", "confidence": 0.41}, {"name": "help", "confidence": 0.34},
               {"name": "out_of_scope", "confidence": 0.25}]
    assert fuse(ranking, ["scope"], [], 3, CONFIG)[0]["confidence"] > 0.5  # "jaki ma zakres?"
    assert fuse(ranking, ["scope"], [], 6, CONFIG)[0]["confidence"] == pytest.approx(0.41)


def test_a_short_message_naming_only_a_plan_or_an_aspect_is_a_follow_up():
    ranking = [{"name": "ask_overview", "confidence": 0.4}, {"name": "follow_up", "confidence": 0.36},
               {"name": "ask_scope", "confidence": 0.24}]
    assert fuse(ranking, [], ["sales"], 4, FOLLOW_UP_CONFIG)[0]["name"] == "follow_up"  # "and sales plan?"
    assert fuse(ranking, [], ["sales"], 6, FOLLOW_UP_CONFIG)[0]["name"] == "ask_overview"  # not short
    assert fuse(ranking, ["scope"], ["sales"], 4, FOLLOW_UP_CONFIG)[0]["name"] != "follow_up"  # names both
    assert fuse(ranking, [], [], 4, FOLLOW_UP_CONFIG)[0]["name"] == "ask_overview"  # names neither


def test_a_long_message_naming_neither_aspect_nor_plan_weakens_the_knowledge_intents():
    ranking = [{"name": "ask_tools", "confidence": 0.66}, {"name": "out_of_scope", "confidence": 0.3},
               {"name": "greet", "confidence": 0.04}]
    config = {**CONFIG, "no_evidence_factor": 0.3}
    assert fuse(ranking, [], [], 5, config)[0]["name"] == "out_of_scope"  # "Jak efektywnie przeprowadzić badania ankietowe?"
    assert fuse(ranking, [], [], 4, config)[0]["name"] == "ask_tools"  # a short follow-up keeps it
    assert fuse(ranking, ["tools"], [], 5, config)[0]["name"] == "ask_tools"  # evidence for the aspect


def test_a_long_message_naming_an_aspect_but_no_plan_can_weaken_the_knowledge_intents():
    ranking = [{"name": "ask_budget", "confidence": 0.6}, {"name": "out_of_scope", "confidence": 0.35},
               {"name": "greet", "confidence": 0.05}]
    config = {**CONFIG, "no_plan_factor": 0.15}
    assert fuse(ranking, ["budget"], [], 7, config)[0]["name"] == "out_of_scope"  # "Jak obliczyć budżet SaaS dla startupu"
    assert fuse(ranking, ["budget"], ["sales"], 7, config)[0]["name"] == "ask_budget"  # names a plan
    assert fuse(ranking, ["budget"], [], 7, config, hinted=["marketing"])[0]["name"] == "ask_budget"  # suggests one
    assert fuse(ranking, ["budget"], [], 3, config)[0]["name"] == "ask_budget"  # a short follow-up
    assert fuse(ranking, ["budget"], [], 7, CONFIG)[0]["name"] == "ask_budget"  # off by default (1.0)


def test_the_component_does_not_count_a_hinted_plan_as_named():
    ranking = [{"name": "out_of_scope", "confidence": 0.6}, {"name": "ask_evaluation", "confidence": 0.4}]
    message = Message(data={TEXT: "Jak mierzyć skuteczność kampanii reklamowej w sieci?"})
    message.set(INTENT_RANKING_KEY, ranking)
    message.set(ENTITIES, [{"entity": "aspect", "value": "evaluation"},
                           {"entity": "plan", "value": "marketing", "role": "hint"}])
    message.set(TOKENS_NAMES[TEXT], MorphologyTokenizer(MorphologyTokenizer.get_default_config()).tokenize(message, TEXT))
    EvidenceFusion(CONFIG).process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"  # the out-of-scope factor needs a named plan


def test_saying_plan_is_enough_for_the_no_plan_factor():
    ranking = [{"name": "ask_tools", "confidence": 0.6}, {"name": "out_of_scope", "confidence": 0.4}]
    tokenizer = MorphologyTokenizer(MorphologyTokenizer.get_default_config())
    config = {**CONFIG, "no_plan_factor": 0.15}
    for text, expected in [("What tools do these plans use?", "ask_tools"),
                           ("Jakich narzędzi używają te dwa plany?", "ask_tools"),
                           ("What tools should a small bakery use?", "out_of_scope")]:
        message = Message(data={TEXT: text})
        message.set(INTENT_RANKING_KEY, ranking)
        message.set(ENTITIES, [{"entity": "aspect", "value": "tools"}])
        message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
        EvidenceFusion(config).process([message])
        assert message.get(INTENT)["name"] == expected, text


def test_a_pronoun_or_a_reference_to_the_plans_is_enough_for_the_no_plan_factor():
    ranking = [{"name": "ask_budget", "confidence": 0.6}, {"name": "out_of_scope", "confidence": 0.4}]
    tokenizer = MorphologyTokenizer(MorphologyTokenizer.get_default_config())
    config = {**CONFIG, "no_plan_factor": 0.15, "pronoun_lemmas": ["them", "on"]}
    for text, entities, expected in [
        ("Which of them needs more money?", [], "ask_budget"),
        ("Który z nich wymaga większego budżetu?", [], "ask_budget"),
        ("What budget does it usually need?", [{"entity": "reference", "value": "plan"}], "ask_budget"),
        ("What budget does a small bakery need?", [], "out_of_scope"),
    ]:
        message = Message(data={TEXT: text})
        message.set(INTENT_RANKING_KEY, ranking)
        message.set(ENTITIES, [{"entity": "aspect", "value": "budget"}, *entities])
        message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
        EvidenceFusion(config).process([message])
        assert message.get(INTENT)["name"] == expected, text
    message = Message(data={TEXT: "Which of them needs more money?"})
    message.set(INTENT_RANKING_KEY, ranking)
    message.set(ENTITIES, [{"entity": "aspect", "value": "budget"}])
    message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
    EvidenceFusion({**config, "pronoun_lemmas": []}).process([message])
    assert message.get(INTENT)["name"] == "out_of_scope"  # without the pronouns listed


def test_a_reference_in_a_long_message_is_not_the_previous_plan():
    ranking = [{"name": "ask_combining", "confidence": 0.6}, {"name": "out_of_scope", "confidence": 0.4}]
    tokenizer = MorphologyTokenizer(MorphologyTokenizer.get_default_config())
    config = {**CONFIG, "no_plan_factor": 0.15, "reference_max_words": 7}
    for text, expected in [("how do I combine it?", "ask_combining"),
                           ("What is synergy and how is it created by IMC?", "out_of_scope")]:
        message = Message(data={TEXT: text})
        message.set(INTENT_RANKING_KEY, ranking)
        message.set(ENTITIES, [{"entity": "aspect", "value": "combining"}, {"entity": "reference", "value": "plan"}])
        message.set(TOKENS_NAMES[TEXT], tokenizer.tokenize(message, TEXT))
        EvidenceFusion(config).process([message])
        assert message.get(INTENT)["name"] == expected, text
