"""BM25 over the knowledge base's entries as a check on the intent (bot/components/knowledge_vote.py)."""

from __future__ import annotations

from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.knowledge_vote import BM25Index, KnowledgeVote, knowledge_documents

DOCUMENTS = {
    "ask_budget": "budżet koszt wydatek pieniądz budget cost spend".split(),
    "ask_team": "zespół dział handlowiec team department who".split(),
    "ask_evaluation": "mierzyć wskaźnik KPI measure metric result".split(),
}


def test_the_entry_sharing_the_words_wins():
    index = BM25Index.build(DOCUMENTS)
    vote, lead = index.vote(["jaki", "budżet", "koszt"])
    assert vote == "ask_budget" and lead > 0.5
    assert index.vote(["nothing", "known"]) == (None, 0.0)


def test_the_index_survives_persistence():
    index = BM25Index.build(DOCUMENTS)
    again = BM25Index.from_json(index.to_json())
    assert list(again.scores(["team", "metric"])) == list(index.scores(["team", "metric"]))


def test_knowledge_documents_read_answers_and_faq_questions():
    documents = knowledge_documents([
        {"kind": "answer", "aspect": "budget", "text": {"pl": "Budżet planu", "en": "The plan's budget"}},
        {"kind": "faq", "id": "faq/difference_sales_marketing", "text": {"en": "They differ"},
         "question": {"en": "What is the difference?"}},
    ])
    assert set(documents) == {"ask_budget", "faq_difference_sales_marketing"}
    assert "budget" in documents["ask_budget"] and "difference" in documents["faq_difference_sales_marketing"]


def _message(words, intent, confidence=0.8):
    message = Message(data={TEXT: " ".join(words)})
    tokens, start = [], 0
    for word in words:
        tokens.append(Token(word, start, start + len(word), lemma=word))
        start += len(word) + 1
    message.set(TOKENS_NAMES[TEXT], tokens)
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    return message


def test_a_clear_disagreement_becomes_did_you_mean_and_agreement_passes():
    component = KnowledgeVote({"margin": 0.15, "trust_named_aspect": False}, None, None, BM25Index.build(DOCUMENTS))
    wrong = _message(["who", "is", "in", "the", "team"], "ask_budget")
    right = _message(["what", "budget", "cost"], "ask_budget")
    other = _message(["hello", "budget"], "greet")
    component.process([wrong, right, other])
    assert wrong.get(INTENT)["name"] == "nlu_fallback"
    assert [r["name"] for r in wrong.get(INTENT_RANKING_KEY)][:2] == ["nlu_fallback", "ask_budget"]
    assert right.get(INTENT)["name"] == "ask_budget"
    assert other.get(INTENT)["name"] == "greet"


def test_a_classifier_sure_above_trust_above_is_not_overruled():
    index = BM25Index.build(DOCUMENTS)
    component = KnowledgeVote({"margin": 0.15, "trust_named_aspect": False, "trust_above": 0.95}, None, None, index)
    sure = _message(["who", "is", "in", "the", "team"], "ask_budget", 0.96)
    unsure = _message(["who", "is", "in", "the", "team"], "ask_budget", 0.94)
    component.process([sure, unsure])
    assert sure.get(INTENT)["name"] == "ask_budget"
    assert unsure.get(INTENT)["name"] == "nlu_fallback"
