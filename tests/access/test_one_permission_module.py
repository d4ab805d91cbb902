"""Nothing but accounts.permissions decides who may do what: no other module of the platform reads
the superuser or staff flags, a role's group or care-team and study membership to allow or refuse.
The few other readers are named here with what they do instead (none of it an access rule)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULE_MARKS = re.compile(
    r"\.is_superuser|\.is_staff\b|care_team__members|care_teams__members|groups\.filter|groups__name"
    r"|\.members\.filter|has_perm\(|user_passes_test|permission_required"
)
NOT_A_RULE = {
    "platform/accounts/permissions.py": "the one module of rules",
    "platform/accounts/selectors.py": "the clinicians of a team, to choose a session's clinician from",
    "platform/recordings/services.py": "a session's clinician must hold the clinician role (a data check)",
    "workers/management/commands/demo.py": "the demo's administrator is created a superuser",
}


def test_no_module_but_the_permission_module_holds_an_access_rule():
    found = []
    for folder in ("platform", "frontend", "workers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if "/migrations/" in name or name in NOT_A_RULE:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if RULE_MARKS.search(line):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert not found, (
        "Access rules belong in platform/accounts/permissions.py (an Action, asked through can, require,"
        " patients_for, restrict or may); these lines decide outside it:\n" + "\n".join(found)
    )


def test_the_named_exceptions_still_exist():
    for name in NOT_A_RULE:
        assert RULE_MARKS.search((ROOT / name).read_text()), f"{name} no longer needs its exception"
