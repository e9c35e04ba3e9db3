"""`rasa data validate`, minus the one warning Rasa cannot get right for this project.

Rasa warns that a response "is not used in any story or rule" when only a custom action or a
form sends it; it does not look inside actions. This check runs Rasa's own validator (the
same steps as `rasa data validate --fail-on-warnings`) and accepts that warning only for
responses the action code names or that are form prompts (`utter_ask_<slot>`), and the
"no NLU training data" warning only for intents that arrive as payloads alone
(`PAYLOAD_ONLY_INTENTS`). Any other warning or error fails.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import List, Set

from bot.settings import PROJECT_DIR

# Intents that only arrive as a payload (`/feedback{...}`, sent by the widget's vote buttons):
# Rasa parses those without NLU, and NLU examples would teach the model to guess a vote from words.
PAYLOAD_ONLY_INTENTS = ("feedback",)
NO_NLU_DATA = re.compile(r"The intent '(?P<name>\w+)' is listed in the domain file, but is not found in the NLU training data")
UNUSED_RESPONSE = re.compile(r"The utterance '(?P<name>utter_\w+)' is not used in any story or rule")
RESPONSE_IN_CODE = re.compile(r"[\"'](utter_\w+)[\"']")


def responses_sent_by_actions(actions_dir: Path) -> Set[str]:
    names: Set[str] = set()
    for module in actions_dir.rglob("*.py"):
        names.update(RESPONSE_IN_CODE.findall(module.read_text(encoding="utf-8")))
    return names


def check_project(project_dir: Path = PROJECT_DIR) -> List[str]:
    """Every problem Rasa's validator reports that this project does not explain."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.utils.common import EXPECTED_WARNINGS
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        str(project_dir / "bot" / "config.yml"), str(project_dir / "bot" / "domain"), [str(project_dir / "data")]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category, pattern in EXPECTED_WARNINGS:  # the ones Rasa's own CLI hides
            warnings.filterwarnings("ignore", message=pattern, category=category)
        validator = Validator.from_importer(importer)
        results = [
            validator.verify_domain_validity(),
            validator.verify_actions_in_stories_rules(),
            validator.verify_forms_in_stories_rules(),
            validator.verify_form_slots(),
            validator.verify_slot_mappings(),
            validator.verify_nlu(ignore_warnings=False),
            validator.verify_story_structure(ignore_warnings=False),
        ]
    domain = importer.get_domain()
    form_prompts = {f"utter_ask_{slot}" for form in domain.forms.values() for slot in form.get("required_slots", [])}
    form_prompts |= {f"utter_ask_{form}_{slot}" for form, spec in domain.forms.items() for slot in spec.get("required_slots", [])}
    explained = responses_sent_by_actions(project_dir / "actions") | form_prompts
    problems = []
    for warning in caught:
        if not issubclass(warning.category, UserWarning):
            continue
        message = str(warning.message)
        no_data = NO_NLU_DATA.search(message)
        if no_data and no_data["name"] in PAYLOAD_ONLY_INTENTS:
            continue
        unused = UNUSED_RESPONSE.search(message)
        if unused and unused["name"] in explained:
            continue
        problems.append(message.strip())
    if not all(results) and not problems:
        problems.append("Rasa's validator reported an error (see its log above)")
    return problems
