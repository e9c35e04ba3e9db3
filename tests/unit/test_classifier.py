"""The goal classifier: verdicts in both languages, robustness, rules as editable data, validation."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from knowledge.classifier import (
    GoalClassifier,
    RulesError,
    classifier_from_repository,
    validate_rules,
)
from knowledge.loader import ContentError, read_content
from knowledge.repository import KnowledgeBaseEmpty
from language.lemmatizer import get_lemmatizer
from tests.classifier_support import classified, classifier, lemmatizer, rules, signals_of  # noqa: F401 - fixtures
from tests.conftest import CONTENT_DIR

RULES_FILE = CONTENT_DIR / "classifier.yml"
SECTION_IDS = {"intro", "1", "2", "3", "4", "5", "6", "7", "8", "faq1", "faq2"}


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge" / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    """The 1-based line of the only line of `path` containing `fragment`."""
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line]
    assert len(lines) == 1, f"{fragment!r} on lines {lines}"
    return lines[0]


# ---- verdicts in both languages --------------------------------------------------------------

SALES_GOALS = [
    ("pl", "Zwiększyć sprzedaż o 20% w tym kwartale"),
    ("pl", "Zespół sprzedaży ma domknąć 30 transakcji w 2 tygodnie"),
    ("pl", "Podnieść przychody i zyski do końca roku"),
    ("pl", "Rozdać 10 tysięcy ulotek i broszur w przyszłym miesiącu"),
    ("pl", "Poprawić współczynnik konwersji w sklepie internetowym"),
    ("pl", "Więcej zamówień w sezonie świątecznym"),
    ("en", "Increase sales by 20% next quarter"),
    ("en", "Close 50 deals in 6 months"),
    ("en", "Grow revenue and profit by the end of the year"),
    ("en", "Print brochures and leaflets for the trade fair this month"),
    ("en", "Raise the conversion rate of the online shop"),
    ("en", "Get more orders in the holiday season"),
]

MARKETING_GOALS = [
    ("pl", "Zbudować rozpoznawalność marki w ciągu 3 lat"),
    ("pl", "Zwiększyć udział w rynku w perspektywie długoterminowej"),
    ("pl", "Poprawić lojalność klientów"),
    ("pl", "Wprowadzić nowy produkt na rynek"),
    ("pl", "Przeprowadzić badanie rynku i ankiety wśród klientów"),
    ("pl", "Poprawić wizerunek firmy przez lata"),
    ("en", "Build brand awareness over three years"),
    ("en", "Grow market share in the long term"),
    ("en", "Improve customer retention"),
    ("en", "Launch our new product line"),
    ("en", "Run market research and customer surveys"),
    ("en", "Strengthen our reputation and positioning"),
]


@pytest.mark.parametrize("lang,goal", SALES_GOALS)
def test_sales_goals(classifier, lang, goal):
    result = classified(classifier, goal, lang, "sales")
    assert result.reasons[0]["plan"] == "sales"


@pytest.mark.parametrize("lang,goal", MARKETING_GOALS)
def test_marketing_goals(classifier, lang, goal):
    result = classified(classifier, goal, lang, "marketing")
    assert result.reasons[0]["plan"] == "marketing"


@pytest.mark.parametrize(
    "lang,goal",
    [
        ("pl", "Więcej sprzedaży i silniejsza marka w ciągu trzech lat"),
        ("pl", "Zwiększyć sprzedaż i rozpoznawalność marki"),
        ("en", "More sales and a stronger brand over three years"),
        ("en", "Increase Q3 sales by 15% with leaflets and improve brand awareness"),
    ],
)
def test_mixed_goals_are_both(classifier, lang, goal):
    result = classified(classifier, goal, lang, "both")
    assert {"sales", "marketing"} <= {reason["plan"] for reason in result.reasons}


@pytest.mark.parametrize(
    "lang,goal,signal",
    [
        ("pl", "Poprawić ROI o 15%", "return_on_investment"),
        ("pl", "Zwiększyć zwrot z inwestycji", "return_on_investment"),
        ("en", "Improve our return on investment", "return_on_investment"),
        ("en", "Improve ROI by 15%", "return_on_investment"),
        ("pl", "Zatrudnić dwóch handlowców do końca roku", "hiring"),
        ("en", "Hire two new salespeople", "hiring"),
        ("pl", "Przenieść biuro do nowej siedziby", "office_move"),
        ("en", "Move the office to a new building", "office_move"),
    ],
)
def test_goals_outside_the_two_plans_are_unclear(classifier, lang, goal, signal):
    result = classified(classifier, goal, lang, "unclear")
    assert result.reasons[0]["signal"] == signal
    assert result.reasons[0]["plan"] == "outside"


@pytest.mark.parametrize("goal", ["", "   ", "\n\t", "😀😀😀", "???", "Lepiej", "Get better"])
def test_goals_without_signals_are_unclear(classifier, goal):
    for lang in ("pl", "en"):
        result = classifier.classify(goal, lang)
        assert result.to_json() == {"plan": "unclear", "reasons": [], "language": lang}


def test_none_is_treated_as_empty(classifier):
    assert classifier.classify(None, "pl").plan == "unclear"


def test_a_tie_without_what_the_goal_measures_is_unclear(classifier):
    result = classifier.classify("Zespół sprzedaży i zespół marketingu mają współpracować", "pl")
    assert result.plan == "unclear"
    assert set(signals_of(result)) == {"sales_team", "marketing_team"}


# ---- robustness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "goal,plan,signal",
    [
        ("Wzrost sprzedaży w kolejnym kwartale", "sales", "sales_volume"),
        ("Chcemy, by sprzedażą zajmowali się handlowcy", "sales", "sales_volume"),
        ("Budowa rozpoznawalności naszej marki", "marketing", "brand_recognition"),
        ("Walczymy o większy udział w rynku", "marketing", "market_share"),
        ("Dotrzeć do klientów ulotkami i broszurami", "sales", "sales_materials"),
        ("Poprawa lojalności stałych klientów", "marketing", "customer_loyalty"),
    ],
)
def test_inflected_polish_forms(classifier, goal, plan, signal):
    classified(classifier, goal, "pl", plan, signal)


@pytest.mark.parametrize(
    "goal,plan,signal",
    [
        ("Sold more units, closing deals faster", "sales", "deals"),
        ("Recognising our brand: more loyal customers", "marketing", "customer_loyalty"),
        ("Surveys of customers and focus groups", "marketing", "customer_surveys"),
    ],
)
def test_inflected_english_forms(classifier, goal, plan, signal):
    classified(classifier, goal, "en", plan, signal)


@pytest.mark.parametrize(
    "plain,accented",
    [
        ("Zwiekszyc sprzedaz o 20% w tym kwartale", "Zwiększyć sprzedaż o 20% w tym kwartale"),
        ("Zbudowac rozpoznawalnosc marki w ciagu trzech lat", "Zbudować rozpoznawalność marki w ciągu trzech lat"),
        ("Poprawic lojalnosc klientow", "Poprawić lojalność klientów"),
        ("Zwiekszyc udzial w rynku", "Zwiększyć udział w rynku"),
    ],
)
def test_missing_diacritics_give_the_same_verdict(classifier, plain, accented):
    without, with_ = classifier.classify(plain, "pl"), classifier.classify(accented, "pl")
    assert without.plan == with_.plan != "unclear"
    assert set(signals_of(without)) == set(signals_of(with_))


def test_goal_in_the_other_language_is_matched_and_explained_in_the_asked_language(classifier):
    english_goal = classifier.classify("Build brand awareness over three years", "pl")
    assert english_goal.plan == "marketing"
    assert english_goal.language == "pl"
    assert "rozpoznawalność" in english_goal.reasons[0]["text"]
    polish_goal = classifier.classify("Zwiększyć sprzedaż w tym kwartale", "en")
    assert polish_goal.plan == "sales"
    assert polish_goal.reasons[0]["text"].startswith("The goal is about sales")


def test_mixed_language_goal(classifier):
    classified(classifier, "Zwiększyć sales i brand awareness", "pl", "both")


@pytest.mark.parametrize(
    "lang,goal,signal",
    [
        ("pl", "Marka w 3 lata", "horizon_long_number"),
        ("pl", "Marka w ciągu trzech lat", "horizon_long_number"),
        ("pl", "Plan 3-letni dla marki", "horizon_long_number"),
        ("pl", "Sprzedaż w ciągu półtora roku", "horizon_long_number"),
        ("pl", "Sprzedaż w pół roku", "horizon_short_number"),
        ("pl", "Sprzedaż w 2 tygodnie", "horizon_short_number"),
        ("pl", "Sprzedaż w ciągu 12 miesięcy", "horizon_short_number"),
        ("en", "Brand over three years", "horizon_long_number"),
        ("en", "Brand over a couple of years", "horizon_long_number"),
        ("en", "Brand over the years", "horizon_long_number"),
        ("en", "Sales in 2 weeks", "horizon_short_number"),
        ("en", "Sales within 18 months", "horizon_long_number"),
    ],
)
def test_numeric_horizons(classifier, lang, goal, signal):
    found = signals_of(classifier.classify(goal, lang))
    assert signal in found
    assert {"horizon_short", "horizon_long"}.isdisjoint(found)  # the unit word is not counted twice


@pytest.mark.parametrize(
    "lang,goal",
    [("pl", "Sprzedaż w 2025 roku"), ("pl", "Przychody o 20% rok do roku"), ("en", "Sales up 5% year over year")],
)
def test_dates_and_percentages_are_not_horizons(classifier, lang, goal):
    found = signals_of(classifier.classify(goal, lang))
    assert not any(signal.startswith("horizon") for signal in found)


def test_ignored_phrases_are_not_signals(classifier):
    result = classifier.classify("In order to grow we want more loyal customers", "en")
    assert set(signals_of(result)) == {"customer_loyalty"}


def test_very_long_goal(classifier):
    goal = ("Zwiększyć sprzedaż w tym kwartale. " * 200)[:5000]
    started = time.perf_counter()
    result = classifier.classify(goal, "pl")
    assert time.perf_counter() - started < 10  # a sanity bound, not a benchmark
    assert result.plan == "sales"
    assert len(result.reasons) == len(set(signals_of(result)))  # each signal once, however often it appears


def test_long_noise_is_unclear(classifier):
    assert classifier.classify("x" * 5000, "pl").plan == "unclear"
    assert classifier.classify("ą" * 5000, "en").plan == "unclear"


def test_deterministic(classifier, rules, lemmatizer):
    goal = "Więcej sprzedaży, ulotki, ankiety i silniejsza marka w ciągu trzech lat; zatrudnić marketera"
    first = classifier.classify(goal, "pl").to_json()
    for _ in range(3):
        assert classifier.classify(goal, "pl").to_json() == first
    assert GoalClassifier(rules, lemmatizer).classify(goal, "pl").to_json() == first


def test_json_shape(classifier):
    result = classifier.classify("Zwiększyć sprzedaż i rozpoznawalność marki w 3 lata", "pl")
    data = result.to_json()
    assert list(data) == ["plan", "reasons", "language"]
    assert data["language"] == "pl"
    for reason in data["reasons"]:
        assert set(reason) == {"signal", "plan", "section", "text"}
        assert reason["section"] in SECTION_IDS
        assert reason["plan"] in ("sales", "marketing", "outside")
        assert "{match}" not in reason["text"]
    json.dumps(data, ensure_ascii=False)


def test_unknown_language_is_refused(classifier):
    with pytest.raises(ValueError):
        classifier.classify("sales", "de")


# ---- rules are data: editing the file changes the verdict --------------------------------------


def test_editing_a_weight_changes_the_verdict(content_copy, lemmatizer):
    goal = "Zwiększyć świadomość marki kampanią reklamową w tym kwartale"
    before = GoalClassifier(read_content(content_copy).documents["classifier"], lemmatizer)
    assert before.classify(goal, "pl").plan == "marketing"
    replace_in(
        content_copy / "classifier.yml",
        "  - id: advertising_campaigns\n    dimension: tool\n    plan: sales\n    weight: 2\n",
        # 5 > 4: with the horizon only supporting (decision.supports_only), the campaign must
        # outweigh the awareness measure on its own.
        "  - id: advertising_campaigns\n    dimension: tool\n    plan: sales\n    weight: 5\n",
    )
    after = GoalClassifier(read_content(content_copy).documents["classifier"], lemmatizer)
    assert after.classify(goal, "pl").plan == "sales"


def test_editing_a_term_changes_the_verdict(content_copy, lemmatizer):
    goal = "Podwoić liczbę subskrypcji"
    before = GoalClassifier(read_content(content_copy).documents["classifier"], lemmatizer)
    assert before.classify(goal, "pl").plan == "unclear"
    replace_in(content_copy / "classifier.yml", "pl: [sprzedaż, sprzedawać,", "pl: [subskrypcja, sprzedaż, sprzedawać,")
    after = GoalClassifier(read_content(content_copy).documents["classifier"], lemmatizer)
    result = after.classify(goal, "pl")
    assert result.plan == "sales"
    assert result.reasons[0]["signal"] == "sales_volume"


def test_editing_a_threshold_changes_the_verdict(content_copy, lemmatizer):
    goal = "Zwiększyć sprzedaż i rozpoznawalność marki"
    assert GoalClassifier(read_content(content_copy).documents["classifier"], lemmatizer).classify(goal, "pl").plan == "both"
    replace_in(content_copy / "classifier.yml", "  both_needs: measure\n", "  both_needs: team\n")
    assert GoalClassifier(read_content(content_copy).documents["classifier"], lemmatizer).classify(goal, "pl").plan == "unclear"


# ---- validation --------------------------------------------------------------------------------


def load_rt(path: Path):
    return YAML(typ="rt").load(path.read_text(encoding="utf-8"))


def test_real_rules_are_valid():
    assert validate_rules(load_rt(RULES_FILE), SECTION_IDS) == []


def test_bad_weight(content_copy):
    rules_file = content_copy / "classifier.yml"
    replace_in(rules_file, "    plan: sales\n    weight: 2\n    section: \"4\"\n    terms:\n      pl: [broszura",
               "    plan: sales\n    weight: -2\n    section: \"4\"\n    terms:\n      pl: [broszura")
    problems = validate_rules(load_rt(rules_file), SECTION_IDS)
    assert [(p.entry, p.line) for p in problems] == [("sales_materials", line_of(rules_file, "weight: -2"))]
    assert "weight" in problems[0].reason


def test_weight_that_is_not_a_number(content_copy):
    rules_file = content_copy / "classifier.yml"
    replace_in(rules_file, "  - id: profit\n    dimension: measure\n    plan: sales\n    weight: 4\n",
               "  - id: profit\n    dimension: measure\n    plan: sales\n    weight: heavy\n")
    problems = validate_rules(load_rt(rules_file), SECTION_IDS)
    assert [(p.entry, p.line) for p in problems] == [("profit", line_of(rules_file, "weight: heavy"))]


def test_unknown_section(content_copy):
    rules_file = content_copy / "classifier.yml"
    replace_in(rules_file, "    weight: 4\n    section: faq1\n    terms:\n      pl: [reputacja",
               "    weight: 4\n    section: \"9\"\n    terms:\n      pl: [reputacja")
    problems = validate_rules(load_rt(rules_file), SECTION_IDS)
    assert [(p.entry, p.line) for p in problems] == [("reputation", line_of(rules_file, 'section: "9"'))]
    assert "unknown section '9'" in problems[0].reason


def test_missing_language(content_copy):
    rules_file = content_copy / "classifier.yml"
    english = "      en: [market share, share of market, share of the market, market penetration, penetration rate, segment share, category share, share of the segment, share of the category]\n"
    replace_in(rules_file, english, "")
    problems = validate_rules(load_rt(rules_file), SECTION_IDS)
    assert len(problems) == 1
    assert problems[0].entry == "market_share"
    assert "en" in problems[0].reason
    terms_line = line_of(rules_file, "      pl: [udział w rynku, udział rynkowy, penetracja rynku,") - 1  # the `terms:` key
    assert problems[0].line == terms_line


def test_missing_reason_language(content_copy):
    rules_file = content_copy / "classifier.yml"
    replace_in(rules_file, "      en: Market research (“{match}”) is a tool of the marketing plan.\n", "")
    problems = validate_rules(load_rt(rules_file), SECTION_IDS)
    assert [(p.entry, "reason" in p.reason and "en" in p.reason) for p in problems] == [("market_research", True)]
    assert problems[0].line == line_of(rules_file, "pl: Badania rynku (") - 1  # the `reason:` key


def test_loader_reports_rule_problems_with_file_line_and_entry(content_copy):
    rules_file = content_copy / "classifier.yml"
    replace_in(rules_file, "    weight: 4\n    section: faq1\n    terms:\n      pl: [reputacja",
               "    weight: 0\n    section: faq9\n    terms:\n      pl: [reputacja")
    with pytest.raises(ContentError) as error:
        read_content(content_copy)
    problems = [p for p in error.value.problems if p.file.endswith("classifier.yml")]
    assert {(p.entry, p.line) for p in problems} == {
        ("reputation", line_of(rules_file, "weight: 0")),
        ("reputation", line_of(rules_file, "section: faq9")),
    }


def test_other_rule_mistakes_are_found(rules):
    broken = json.loads(json.dumps(rules))
    broken["signals"][0]["dimension"] = "mood"
    broken["signals"][1]["plan"] = "finance"
    broken["signals"][2]["id"] = broken["signals"][3]["id"]
    broken["signals"][4]["wieght"] = 2
    broken["signals"][5]["terms"]["pl"].append(broken["signals"][6]["terms"]["pl"][0])
    broken["decision"]["both_min_ratio"] = 2
    problems = validate_rules(broken, SECTION_IDS)
    reasons = " | ".join(str(p) for p in problems)
    for expected in ("'dimension'", "'plan'", "duplicate signal id", "unknown key 'wieght'", "is also a term of", "both_min_ratio"):
        assert expected in reasons
    assert all(p.line is None for p in problems)  # plain data has no line numbers
    with pytest.raises(RulesError):
        GoalClassifier(broken, get_lemmatizer())


def test_rules_that_are_not_a_mapping():
    assert validate_rules(["not", "rules"], SECTION_IDS)
    assert validate_rules({"signals": []}, SECTION_IDS)


# ---- the repository and the command line -------------------------------------------------------


class _Repository:
    def __init__(self, rules):
        self.rules = rules

    def document(self, name):
        assert name == "classifier"
        return self.rules


def test_classifier_from_repository(rules, lemmatizer):
    classifier = classifier_from_repository(_Repository(rules), lemmatizer)
    assert classifier.classify("Zwiększyć sprzedaż", "pl").plan == "sales"
    with pytest.raises(KnowledgeBaseEmpty):
        classifier_from_repository(_Repository(None), lemmatizer)


def test_cli_classify(sqlite_url, monkeypatch, capsys):
    from bot.cli import main
    from knowledge.service import load

    monkeypatch.setenv("KNOWLEDGE_DB_URL", sqlite_url)
    assert main(["classify", "Zwiększyć sprzedaż"]) == 1
    assert "advisor kb load" in capsys.readouterr().err

    load(CONTENT_DIR, sqlite_url)
    assert main(["classify", "Więcej sprzedaży i silniejsza marka w ciągu trzech lat"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["plan"] == "both" and data["language"] == "pl"
    assert main(["classify", "Build brand awareness over three years"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["language"] == "en" and json.loads(out)["plan"] == "marketing"
    assert main(["classify", "--lang", "pl", "Improve ROI"]) == 0
    out = capsys.readouterr().out
    assert "„ROI”" in out  # ensure_ascii=False: Polish text as is
    assert json.loads(out) == {
        "plan": "unclear",
        "reasons": [json.loads(out)["reasons"][0]],
        "language": "pl",
    }


# ---- the field's own vocabulary (metrics and activities people write in real goals) -----------


@pytest.mark.parametrize(
    "lang,goal,plan,signal",
    [
        ("pl", "Zwiększyć liczbę leadów MQL o 25% w kolejnym kwartale", "marketing", "lead_generation"),
        ("pl", "Zbudować pipeline o wartości 2 mln zł na Q3", "sales", "sales_pipeline"),
        ("pl", "Podnieść średnią wartość transakcji o 10%", "sales", "orders"),
        ("pl", "Więcej upsellingu u obecnych klientów", "sales", "upsell_cross_sell"),
        ("pl", "Obniżyć CAC o 15%", "marketing", "acquisition_cost"),
        ("pl", "Zmniejszyć churn do 3% miesięcznie", "marketing", "customer_loyalty"),
        ("pl", "Podwoić ruch organiczny z SEO", "marketing", "search_and_web_traffic"),
        ("pl", "Zdobyć 200 nowych opinii w Google", "marketing", "reputation"),
        ("pl", "Zwiększyć zasięg w mediach społecznościowych", "marketing", "social_media_and_content"),
        ("pl", "Wejść w nowy segment klientów", "marketing", "launch"),
        ("en", "Generate 300 MQLs per quarter", "marketing", "lead_generation"),
        ("en", "Hit 110% of quota this quarter", "sales", "sales_pipeline"),
        ("en", "Raise the average deal size to $40K", "sales", "orders"),
        ("en", "Grow upsell revenue from existing accounts", "sales", "upsell_cross_sell"),
        ("en", "Bring CAC below $500", "marketing", "acquisition_cost"),
        ("en", "Raise customer lifetime value (CLV) by 20%", "marketing", "customer_loyalty"),
        ("en", "Cut churn and lift renewal rates", "marketing", "customer_loyalty"),
        ("en", "Double organic search traffic", "marketing", "search_and_web_traffic"),
        ("en", "Collect 100 more five-star reviews", "marketing", "reputation"),
        ("en", "Grow our LinkedIn followers and engagement", "marketing", "social_media_and_content"),
        ("en", "Expand into two new verticals", "marketing", "launch"),
        ("en", "Grow ARR by 30% and cut churn", "both", "revenue"),
    ],
)
def test_the_fields_metrics_and_activities(classifier, lang, goal, plan, signal):
    result = classified(classifier, goal, lang, plan, signal)
    assert all(reason["section"] and reason["text"] for reason in result.reasons)


@pytest.mark.parametrize(
    "lang,goal,signal",
    [
        ("pl", "Spłacić kredyt obrotowy", "finance"),
        ("pl", "Utrzymać koszty projektu w budżecie", "finance"),
        ("pl", "Zmniejszyć rotację pracowników w magazynie", "staff_matters"),
        ("pl", "Skrócić czas awarii systemu", "internal_operations"),
        ("en", "Pay down the bank loan", "finance"),
        ("en", "Improve employee onboarding", "staff_matters"),
        ("en", "Raise employee retention", "staff_matters"),
        ("en", "Reduce production defects", "internal_operations"),
    ],
)
def test_finance_staff_and_operations_stay_outside_the_two_plans(classifier, lang, goal, signal):
    classified(classifier, goal, lang, "unclear", signal)


@pytest.mark.parametrize(
    "lang,goal,plan",
    [
        ("en", "Lower the cost per lead", "marketing"),       # the longer term wins over "cost"
        ("en", "Improve the lead-to-opportunity conversion rate", "sales"),
        ("en", "Lift the email click-through rate", "marketing"),  # "rate" is not a rating
    ],
)
def test_longer_terms_and_rates(classifier, lang, goal, plan):
    classified(classifier, goal, lang, plan)


@pytest.mark.parametrize(
    "lang,goal",
    [("en", "Grow web traffic by 20% per month"), ("pl", "Publikować 8 wpisów miesięcznie"),
     ("en", "Book 15 demos per week")],
)
def test_a_rate_is_not_a_horizon(classifier, lang, goal):
    found = signals_of(classifier.classify(goal, lang))
    assert found and not any(signal.startswith("horizon") for signal in found)
