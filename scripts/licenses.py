#!/usr/bin/env python3
"""Every crate in Cargo.lock under a licence ekino may ship (CI runs it; exit 1 otherwise).

Reads `cargo metadata --locked` (the lockfile as it is, every platform's crates included) and
evaluates each package's SPDX expression: `OR` (and the old `/`) needs one allowed side,
`AND` needs both, `WITH` an exception keeps the licence it modifies. A package that names no
licence, or one outside ALLOWED, is listed with its version and fails the check.

The RustSec advisory database lives on GitHub, which this workplace cannot reach, so
advisories are not checked here (see ARCHITECTURE.md, "Checks").
"""
import json
import re
import subprocess
import sys

# Permissive licences, and Unicode's data licence (ICU's tables). Copyleft is not on the list:
# a crate offering it only beside a permissive choice passes through `OR`.
ALLOWED = {
    "MIT", "MIT-0", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Zlib", "Unlicense",
    "CC0-1.0", "BSL-1.0", "Unicode-3.0", "Unicode-DFS-2016",
}


def tokens(expr):
    return re.findall(r"\(|\)|[A-Za-z0-9.+\-]+", expr.replace("/", " OR "))


def allowed(expr):
    toks = tokens(expr)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        pos += 1
        return toks[pos - 1]

    def atom():
        if peek() == "(":
            take()
            v = disjunction()
            if take() != ")":
                raise ValueError(expr)
            return v
        name = take()
        if peek() == "WITH":
            take()
            take()  # the exception only widens what the licence permits
        return name in ALLOWED

    def conjunction():
        v = atom()
        while peek() == "AND":
            take()
            v = atom() and v
        return v

    def disjunction():
        v = conjunction()
        while peek() == "OR":
            take()
            v = conjunction() or v
        return v

    result = disjunction()
    if pos != len(toks):
        raise ValueError(expr)
    return result


def main():
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True, capture_output=True, text=True,
    ).stdout
    packages = json.loads(out)["packages"]
    bad = []
    for p in packages:
        lic = p.get("license")
        if p.get("source") is None:
            continue  # ekino's own crates: Apache-2.0 by the workspace
        try:
            ok = bool(lic) and allowed(lic)
        except ValueError:
            ok = False
        if not ok:
            bad.append(f"{p['name']} {p['version']}: {lic or 'no licence named'}")
    if bad:
        print("crates whose licence is not allowed (scripts/licenses.py, ALLOWED):")
        print("\n".join("  " + b for b in sorted(bad)))
        return 1
    print(f"licences: all {len(packages)} packages of Cargo.lock allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
