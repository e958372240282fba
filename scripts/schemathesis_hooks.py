"""What ekino's OpenAPI document states in words but JSON Schema cannot, taught to schemathesis
so that its schema-valid requests are valid (the server refuses the others with a 400 naming
the field; tests/api.rs and the unit tests cover those refusals):

- format `kz-bin`: 12 digits whose last is the check digit (weights 1..11 mod 11, then
  3..11,1,2 when that gives 10; a prefix for which both give 10 has no valid BIN);
- date ranges: `to` is on or after `from`, and the range covers at most 366 days;
- a production: `completed_on` on or after `registered_on`; days outside Almaty and Astana
  at most the total; a claim's line ids unique;
- an estimate names its programme in the body, or compares several with `compare`, each
  programme at most once;
- an NDJSON upload is sent as the text it is.

Loaded by scripts/schemathesis.sh (SCHEMATHESIS_HOOKS).
"""
import datetime
import json

import schemathesis
from hypothesis import strategies as st

W1 = list(range(1, 12))
W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]


def check_digit(prefix):
    for w in (W1, W2):
        d = sum(int(c) * k for c, k in zip(prefix, w)) % 11
        if d != 10:
            return d
    return None


def with_check_digit(prefix):
    d = check_digit(prefix)
    return None if d is None else prefix + str(d)


schemathesis.openapi.format(
    "kz-bin",
    st.text(alphabet="0123456789", min_size=11, max_size=11).map(with_check_digit).filter(lambda b: b is not None),
)

MAX_RANGE_DAYS = 366


def _date(s):
    try:
        return datetime.date.fromisoformat(s)
    except (TypeError, ValueError):
        return None


def _order(obj, first, last, max_days=None):
    """Puts obj[last] on or after obj[first] (and within max_days) when both are dates."""
    if not isinstance(obj, dict):
        return
    a, b = _date(obj.get(first)), _date(obj.get(last))
    if a is None or b is None:
        return
    if b < a:
        a, b = b, a
    if max_days is not None and (b - a).days >= max_days:
        b = a + datetime.timedelta(days=max_days - 1) if a <= datetime.date.max - datetime.timedelta(days=max_days) else a
    obj[first], obj[last] = a.isoformat(), b.isoformat()


def _production(p):
    if not isinstance(p, dict):
        return
    _order(p, "registered_on", "completed_on")
    days = p.get("shooting_days")
    if isinstance(days, dict):
        t, o = days.get("total"), days.get("outside_almaty_astana")
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (t, o))
        if numbers and o > t:
            days["total"], days["outside_almaty_astana"] = o, t


def _body(body):
    if isinstance(body, dict):
        for claim in (body, body.get("claim")):
            if isinstance(claim, dict):
                _production(claim.get("production"))
                lines = claim.get("lines")
                if isinstance(lines, list):
                    for i, line in enumerate(lines):
                        if isinstance(line, dict) and isinstance(line.get("id"), str):
                            line["id"] = f"{line['id']}#{i}"


# One hook on the whole case: it runs in every phase (coverage, fuzzing, stateful).
@schemathesis.hook
def map_case(ctx, case):
    _order(case.query, "from", "to", MAX_RANGE_DAYS)
    _body(case.body)
    compare = (case.query or {}).get("compare")
    if isinstance(compare, str) and compare:
        case.query["compare"] = ",".join(dict.fromkeys(compare.split(",")))
    if case.path == "/v1/rebates/estimate" and isinstance(case.body, dict) and case.body.get("programme") is None:
        if not (case.query or {}).get("compare"):
            case.body["programme"] = "kz"
    return case


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return (json.dumps(value) + "\n").encode()
