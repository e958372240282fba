#!/usr/bin/env python3
"""No file imports a file that imports it back: the import circles between the source files
of each crate of the workspace, found from the text (CI runs it; exit 1 on any circle). And
in a crate with a `src/pages/` folder (the web face), no screen imports another screen: each
file or folder directly under `pages/` is one screen, and what two screens share lives
outside `pages/`.

A file imports another when it names a path into it: `crate::a::b::Item`, `super::x`,
`self::y`, or `child::z` for a module it declares. A name a module re-exports (`pub use
a::Item`) counts as the file that defines it, so re-exports alone make no circle. Between
crates Cargo already forbids circles; this looks inside each crate.

    python3 scripts/circles.py            # every crate of the workspace
    python3 scripts/circles.py api/core   # one crate
    python3 scripts/circles.py --why      # and the paths behind each import in a circle
"""
import os
import re
import sys
from collections import defaultdict

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CRATES = ["schemas", "ingest", "rebate-engine", "api/core", "api/edge", "api/json",
          "api/web", "api/server", "."]


def strip(src):
    """The source without comments, string and char literals (their text is no import)."""
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    src = re.sub(r'r#*"(?:.|\n)*?"#*', '""', src)
    src = re.sub(r'"(?:\\.|[^"\\])*"', '""', src)
    src = re.sub(r"'(?:\\.|[^'\\])'", "' '", src)
    src = re.sub(r"//[^\n]*", "", src)
    # Inside an inline `mod x { … }` (tests), `super` is the file's own module.
    out, i = [], 0
    for m in re.finditer(r"\bmod\s+\w+\s*\{", src):
        if m.start() < i:
            continue
        depth, j = 0, m.end() - 1
        while j < len(src):
            depth += src[j] == "{"
            depth -= src[j] == "}"
            if depth == 0:
                break
            j += 1
        out.append(src[i:m.end()])
        out.append(re.sub(r"\bsuper::", "self::", src[m.end():j]))
        i = j
    out.append(src[i:])
    return "".join(out)


def expand(tree):
    """`a::{b, c::{d, e as f}}` → [a::b, a::c::d, a::c::e] (names as they are defined)."""
    tree = tree.strip()
    depth, start = 0, None
    for i, ch in enumerate(tree):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
    if start is None:
        return [re.split(r"\s+as\s+", tree)[0].strip()]
    prefix, inner = tree[:start], tree[start + 1:tree.rindex("}")]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        cur += ch
    parts.append(cur)
    out = []
    for p in (p.strip() for p in parts):
        if not p:
            continue
        for e in expand(p):
            out.append(prefix.rstrip(":") if e == "self" else prefix + e)
    return out


class Crate:
    def __init__(self, src_dir):
        self.files = {}
        for d, dirs, fs in os.walk(src_dir):
            dirs[:] = [x for x in dirs if x not in ("target", "tests", "benches", "examples")]
            for f in fs:
                if f.endswith(".rs"):
                    p = os.path.join(d, f)
                    parts = os.path.relpath(p, src_dir)[:-3].split(os.sep)
                    if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
                        parts = parts[:-1]
                    self.files[tuple(parts)] = p
        self.src = {m: strip(open(p, encoding="utf-8").read()) for m, p in self.files.items()}
        self.reexports = {m: {} for m in self.files}
        for m, s in self.src.items():
            for u in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", s):
                for path in expand(u.group(1)):
                    segs = [x for x in path.split("::") if x]
                    if segs:
                        self.reexports[m][segs[-1]] = (m, segs)

    def absolute(self, m, segs):
        """A path as written in module `m`, from the crate root."""
        is_dir = os.path.basename(self.files[m]) in ("mod.rs", "lib.rs", "main.rs")
        here = list(m)
        if segs and segs[0] == "crate":
            return segs[1:]
        if segs and segs[0] == "self":
            return here + segs[1:]
        if segs and segs[0] == "super":
            base = here[:-1]
            segs = segs[1:]
            while segs and segs[0] == "super":
                base, segs = base[:-1], segs[1:]
            return base + segs
        if segs and tuple(here + segs[:1]) in self.files and is_dir:
            return here + segs
        return None

    def resolve(self, segs, seen=0):
        """The file module that defines what `segs` (from the root) names."""
        for i in range(len(segs), -1, -1):
            mod = tuple(segs[:i])
            if mod in self.files:
                rest = segs[i:]
                if rest and rest[0] in self.reexports[mod] and seen < 20:
                    at, path = self.reexports[mod][rest[0]]
                    target = self.absolute(at, path)
                    if target is not None:
                        return self.resolve(target + rest[1:], seen + 1)
                if rest and "*" in self.reexports[mod] and not self.defines(mod, rest[0]):
                    # `pub use a::*`: a name the module does not define itself comes from `a`.
                    at, path = self.reexports[mod]["*"]
                    target = self.absolute(at, path[:-1])
                    if target is not None and seen < 20:
                        return self.resolve(target + rest, seen + 1)
                return mod
        return None

    def defines(self, mod, name):
        return re.search(r"\b(?:struct|enum|fn|const|static|type|trait|mod|union)\s+"
                         + re.escape(name) + r"\b", self.src[mod]) is not None

    def edges(self):
        g = defaultdict(set)
        self.why = defaultdict(set)
        for m, s in self.src.items():
            paths = []
            for u in re.finditer(r"\buse\s+([^;]+);", s):
                paths += expand(u.group(1))
            paths += re.findall(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", s)
            children = re.findall(r"\bmod\s+(\w+)\s*;", s)
            for c in children:
                paths += re.findall(r"(?<![\w:])(" + c + r"(?:::\w+)+)", s)
            for p in paths:
                segs = [x for x in p.split("::") if x and x != "*"]
                target = self.absolute(m, segs)
                if target is None:
                    continue
                r = self.resolve(target)
                if r is not None and r != m:
                    g[m].add(r)
                    self.why[(m, r)].add(p)
        return g


def circles(g, nodes):
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def screen_imports(crate):
    """(screen, screen it imports, paths) for every import between two screens."""
    def screen(m):
        return m[1] if len(m) >= 2 and m[0] == "pages" else None
    out = []
    g = crate.edges()
    for v in sorted(crate.files):
        for w in sorted(g[v]):
            a, b = screen(v), screen(w)
            if a and b and a != b:
                out.append((v, w, sorted(crate.why[(v, w)])))
    return out


def main():
    why = "--why" in sys.argv
    crates = [a for a in sys.argv[1:] if a != "--why"] or CRATES
    found = 0
    for c in crates:
        src = os.path.join(ROOT, c, "src")
        crate = Crate(src)
        g = crate.edges()
        for v, w, paths in screen_imports(crate):
            found += 1
            print(f"screen imports screen in {c}: {os.path.relpath(crate.files[v], ROOT)} "
                  f"imports {os.path.relpath(crate.files[w], ROOT)} {paths}")
        for comp in circles(g, sorted(crate.files)):
            found += 1
            members = set(comp)
            print(f"circle in {c}:")
            for v in sorted(comp):
                back = sorted(os.path.relpath(crate.files[w], ROOT) for w in g[v] if w in members)
                print(f"  {os.path.relpath(crate.files[v], ROOT)} imports {', '.join(back)}")
                if why:
                    for w in sorted(g[v] & members):
                        print(f"    {os.path.relpath(crate.files[w], ROOT)}: {sorted(crate.why[(v, w)])}")
    if found:
        print(f"{found} import circle(s) or screen imports: move the shared piece down into a "
              "file of its own")
        return 1
    print(f"no import circles in {len(crates)} crate(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
