#!/usr/bin/env python3
"""FeasibilityCheck worker of examples/research_plan.flow.

Stands for: the lab's budget rules and calendar, checked by a script.

What it does here: applies the rules a lab would, deterministically. A plan
is feasible when it has at least one method and one reference, costs no more
than the budget, lasts at most 26 weeks (a six-month study), and its
methods' weeks add up to no more than its timeline. Each broken rule is one
line of `problems`, saying what must change.

Input (stdin): {"plan": Plan, "budget_eur": number}
Output (stdout): {"feasible": bool, "problems": [string]}
"""

import json
import sys

MAX_WEEKS = 26


def main():
    try:
        data = json.load(sys.stdin)
        plan, budget = data["plan"], float(data["budget_eur"])
        methods = plan["methods"]
        weeks = sum(int(m["weeks"]) for m in methods)
        cost, timeline = float(plan["budget_eur"]), int(plan["timeline_weeks"])
    except (ValueError, KeyError, TypeError) as e:
        print("feasibility: the input is not a FeasibilityCheck input: %s" % e, file=sys.stderr)
        return 1
    problems = []
    if not methods:
        problems.append("the plan has no method")
    if not plan.get("references"):
        problems.append("the plan cites no source")
    if cost > budget:
        problems.append("the plan costs %g EUR, over the budget of %g EUR" % (cost, budget))
    if timeline > MAX_WEEKS:
        problems.append("the timeline of %d weeks is over the %d weeks of a six-month study" % (timeline, MAX_WEEKS))
    if weeks > timeline:
        problems.append("the methods take %d weeks, more than the timeline of %d weeks" % (weeks, timeline))
    json.dump({"feasible": not problems, "problems": problems}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
