"""Count passed/failed/skipped tests of one scripts/test.sh stage.

    python scripts/stage_results.py sanity RC JUNIT_DIR      # ansible-test sanity --junit
    python scripts/stage_results.py units RC JUNIT_XML       # pytest --junitxml (also: engine)
    python scripts/stage_results.py integration RC LOG       # ansible-test integration output
    python scripts/stage_results.py lint RC RESULTS          # lines "NAME RC", one per check
    python scripts/stage_results.py molecule RC RESULTS      # lines "NAME RC", one per scenario

RC is the stage command's exit code. Prints one line: ``PASSED FAILED SKIPPED NOTE``.
A command that failed without any failing test being found (a crash, a usage error, a
missing interpreter) counts as one failure, so a broken stage can never look green.
"""

from __future__ import annotations

import glob
import os
import re
import sys
import xml.etree.ElementTree as ET


def _junit_cases(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except (ET.ParseError, OSError):
            failed += 1
            continue
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def sanity(rc, junit_dir):
    paths = sorted(glob.glob(os.path.join(junit_dir, "*.xml")))
    passed, failed, skipped = _junit_cases(paths)
    note = ""
    if rc != 0 and failed == 0:
        failed, note = 1, f"ansible-test sanity exited {rc} without a failing test in its junit output"
    return passed, failed, skipped, note


def units(rc, junit_xml):
    note = ""
    if os.path.exists(junit_xml):
        passed, failed, skipped = _junit_cases([junit_xml])
    else:
        passed = failed = skipped = 0
    if rc == 5 and failed == 0:
        note = "pytest collected no tests"
    elif rc != 0 and failed == 0:
        failed, note = 1, f"pytest exited {rc} without a failing test in its junit output"
    return passed, failed, skipped, note


RUNNING = re.compile(r"Running (\S+) integration test (?:role|script)")
FAILED_SUMMARY = re.compile(r"The (\d+) integration test\(s\) listed below \(out of (\d+)\) failed")


def integration(rc, log):
    try:
        with open(log, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        text = ""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    started = set(RUNNING.findall(text))
    note = ""
    match = FAILED_SUMMARY.search(text)
    if match:
        failed, total = int(match.group(1)), int(match.group(2))
        passed = total - failed
    else:
        failed, passed = 0, len(started) if rc == 0 else 0
    if rc != 0 and failed == 0:
        failed, note = 1, f"ansible-test integration exited {rc} without a failing target in its output"
        passed = 0
    if rc == 0 and not started:
        note = "no integration target ran"
    return passed, failed, 0, note


def checks(rc, results):
    """One line ``NAME RC`` per check (lint tools, Molecule scenarios): RC 0 passed, else failed."""
    passed, failed = 0, []
    try:
        with open(results, encoding="utf-8") as handle:
            lines = [line.split() for line in handle if line.strip()]
    except OSError:
        lines = []
    for fields in lines:
        if len(fields) == 2 and fields[1] == "0":
            passed += 1
        else:
            failed.append(fields[0])
    note = f"failed: {', '.join(failed)}" if failed else ""
    if not lines:
        failed, note = ["?"], "no check ran"
    elif rc != 0 and not failed:
        failed, note = ["?"], f"exited {rc} although every check passed"
    return passed, len(failed), 0, note


def main(argv):
    counters = {"sanity": sanity, "units": units, "engine": units, "integration": integration,
                "lint": checks, "molecule": checks}
    if len(argv) != 4 or argv[1] not in counters:
        sys.exit(__doc__)
    stage, rc, path = argv[1], int(argv[2]), argv[3]
    passed, failed, skipped, note = counters[stage](rc, path)
    print(passed, failed, skipped, note)


if __name__ == "__main__":
    main(sys.argv)
