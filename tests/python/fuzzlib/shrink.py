"""Shrinking a failing statement to a small reproduction: candidates drop named arguments,
empty or halve string literals, and remove parts of JSON documents in literals. The runner
keeps a candidate when it fails the same way, and starts over from it."""
import json
import re

LITERAL = re.compile(r"'(?:[^']|'')*'")
# Floats keep their text through a shrink (1e400 must not become Infinity): parsed into a
# marked string, put back verbatim.
NUM = re.compile('"\ue000([^"\ue001]*)\ue001"')


def _loads(text):
    return json.loads(text, parse_float=lambda s: f"\ue000{s}\ue001")


def _dumps(doc):
    return NUM.sub(lambda m: m.group(1), json.dumps(doc, ensure_ascii=False))


def _args_spans(sql):
    """(start, end) of each top-level argument of the first call in `sql`, quotes respected."""
    start = sql.find("(")
    if start < 0:
        return []
    spans, depth, i, arg_start = [], 0, start, start + 1
    while i < len(sql):
        c = sql[i]
        if c == "'":
            j = i + 1
            while j < len(sql):
                if sql[j] == "'" and (j + 1 >= len(sql) or sql[j + 1] != "'"):
                    break
                j += 2 if sql[j] == "'" else 1
            i = j
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                spans.append((arg_start, i))
                return spans
        elif c == "," and depth == 1:
            spans.append((arg_start, i))
            arg_start = i + 1
        i += 1
    return []


def _json_variants(doc, limit=40):
    """Smaller versions of a JSON value: halves of lists, lists without one element, objects
    without one key, at any depth (outermost first)."""
    out = []

    def walk(node, rebuild):
        if len(out) >= limit:
            return
        if isinstance(node, list):
            if len(node) > 1:
                h = len(node) // 2
                out.append(rebuild(node[:h]))
                out.append(rebuild(node[h:]))
            if 1 < len(node) <= 8:
                out.extend(rebuild(node[:i] + node[i + 1:]) for i in range(len(node)))
            for i, child in enumerate(node[:8]):
                walk(child, lambda v, i=i: rebuild(node[:i] + [v] + node[i + 1:]))
        elif isinstance(node, dict):
            keys = list(node)
            out.extend(rebuild({k: node[k] for k in keys if k != drop}) for drop in keys)
            for k in keys:
                walk(node[k], lambda v, k=k: rebuild({**node, k: v}))

    walk(doc, lambda v: v)
    return out[:limit]


def candidates(sql):
    """Simpler statements to try, most promising first."""
    spans = _args_spans(sql)
    for a, b in reversed(spans):
        if "=>" in sql[a:b] or (len(spans) > 1 and a > spans[0][0]):
            lead = a - 1 if sql[a - 1] == "," else a
            yield sql[:lead] + sql[b:]
    for m in LITERAL.finditer(sql):
        body = m.group(0)[1:-1].replace("''", "'")
        try:
            doc = _loads(body)
        except ValueError:
            doc = None
        if isinstance(doc, (list, dict)):
            for v in _json_variants(doc):
                text = _dumps(v).replace("'", "''")
                yield sql[:m.start()] + "'" + text + "'" + sql[m.end():]
        if len(body) > 1:
            half = body[: len(body) // 2].replace("'", "''")
            yield sql[:m.start()] + "'" + half + "'" + sql[m.end():]


def shrink(sql, still_fails, budget=60):
    """The smallest variant of `sql` for which `still_fails` holds, trying at most `budget`."""
    tries = 0
    improved = True
    while improved and tries < budget:
        improved = False
        for cand in candidates(sql):
            if len(cand) >= len(sql):
                continue
            tries += 1
            if still_fails(cand):
                sql, improved = cand, True
                break
            if tries >= budget:
                break
    return sql
