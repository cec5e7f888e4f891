#!/usr/bin/env python3
"""A strict reader of the Prometheus text exposition format (0.0.4).

    cg_prom.py FILE    parse FILE; on success print its samples as JSON:
                       {"families": {name: type}, "samples": [[name, {labels}, value]...]}
                       and exit 0; on the first violation print it (with the
                       line number) to stderr and exit 1.

Stricter than Prometheus itself where castgate promises more:
- only "# HELP" and "# TYPE" comments; each at most once per family, before
  its samples; every family has a TYPE;
- the samples of a family are together (no family comes back later);
- metric and label names have the format's syntax; label values use only the
  escapes \\\\, \\" and \\n; no label twice in a sample, no series twice;
- a sample's name is its family's (castgate exports counters and gauges);
- counters end in _total, gauges do not; values are numbers (a float, NaN or
  +-Inf), an optional timestamp an integer; the text ends with a newline.
"""
import json
import math
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class Bad(Exception):
    pass


def parse_labels(s, i, lineno):
    """Parse {a="b",...} from s[i] == '{'; return (labels, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s.startswith("}", i):
            return labels, i + 1
        m = LABEL.match(s, i)
        if not m:
            raise Bad("line %d: bad label name at column %d" % (lineno, i + 1))
        name = m.group(0)
        i = m.end()
        if not s.startswith('="', i):
            raise Bad("line %d: label %s: expected =\"" % (lineno, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Bad("line %d: label %s: unterminated value" % (lineno, name))
            ch = s[i]
            if ch == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise Bad("line %d: label %s: bad escape \\%s" % (lineno, name, nxt))
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif ch == '"':
                i += 1
                break
            elif ch == "\n":
                raise Bad("line %d: label %s: raw newline" % (lineno, name))
            else:
                val.append(ch)
                i += 1
        if name in labels:
            raise Bad("line %d: label %s twice" % (lineno, name))
        labels[name] = "".join(val)
        if s.startswith(",", i):
            i += 1
        elif not s.startswith("}", i):
            raise Bad("line %d: expected , or } after label %s" % (lineno, name))


def parse_value(s, lineno):
    if s in ("NaN", "+Inf", "-Inf", "Inf"):
        return math.nan if s == "NaN" else (math.inf if s != "-Inf" else -math.inf)
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", s):
        raise Bad("line %d: %r is not a number" % (lineno, s))
    v = float(s)
    return int(v) if re.fullmatch(r"[-+]?\d+", s) else v


def parse(text):
    if text and not text.endswith("\n"):
        raise Bad("the text does not end with a newline")
    types, helps, done, series, samples = {}, set(), set(), set(), []
    current = None
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            raise Bad("line %d: empty line" % lineno)
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) < 3 or parts[0] != "#" or parts[1] not in ("HELP", "TYPE"):
                raise Bad("line %d: a comment that is not # HELP or # TYPE" % lineno)
            name = parts[2]
            if not NAME.fullmatch(name):
                raise Bad("line %d: bad metric name %r" % (lineno, name))
            if name != current:
                if name in done or name in types or name in helps:
                    raise Bad("line %d: family %s comes back" % (lineno, name))
                if current is not None:
                    done.add(current)
                current = name
            if parts[1] == "HELP":
                if name in helps:
                    raise Bad("line %d: second HELP for %s" % (lineno, name))
                if len(parts) < 4 or parts[3].strip() == "":
                    raise Bad("line %d: empty HELP for %s" % (lineno, name))
                helps.add(name)
            else:
                if name in types:
                    raise Bad("line %d: second TYPE for %s" % (lineno, name))
                if any(s[0] == name for s in samples):
                    raise Bad("line %d: TYPE of %s after its samples" % (lineno, name))
                if len(parts) != 4 or parts[3] not in TYPES:
                    raise Bad("line %d: bad TYPE line" % lineno)
                types[name] = parts[3]
                if parts[3] == "counter" and not name.endswith("_total"):
                    raise Bad("line %d: counter %s does not end in _total" % (lineno, name))
                if parts[3] == "gauge" and name.endswith("_total"):
                    raise Bad("line %d: gauge %s ends in _total" % (lineno, name))
            continue
        m = NAME.match(line)
        if not m:
            raise Bad("line %d: bad metric name" % lineno)
        name = m.group(0)
        i = m.end()
        labels = {}
        if line.startswith("{", i):
            labels, i = parse_labels(line, i, lineno)
        if not line.startswith(" ", i):
            raise Bad("line %d: expected a space before the value" % lineno)
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2):
            raise Bad("line %d: expected VALUE [TIMESTAMP]" % lineno)
        value = parse_value(rest[0], lineno)
        if len(rest) == 2 and not re.fullmatch(r"-?\d+", rest[1]):
            raise Bad("line %d: bad timestamp %r" % (lineno, rest[1]))
        if name != current:
            raise Bad("line %d: sample %s outside its family (%s)" % (lineno, name, current))
        if name not in types:
            raise Bad("line %d: %s has no TYPE" % (lineno, name))
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise Bad("line %d: series %s%s twice" % (lineno, name, labels))
        series.add(key)
        if types[name] == "counter" and not (value >= 0):
            raise Bad("line %d: counter %s is negative or NaN" % (lineno, name))
        samples.append([name, labels, value])
    for name in types:
        if not any(s[0] == name for s in samples):
            raise Bad("family %s has no sample" % name)
    return {"families": types, "samples": samples}


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        out = parse(text)
    except Bad as e:
        print("%s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
