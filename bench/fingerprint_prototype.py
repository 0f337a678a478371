"""Drain-style log template miner (one configuration for every source).

Per line:  tokenize + mask  ->  exact-sequence cache  ->  prefix tree
(token count, first 2 constant words)  ->  best cluster by similarity
(with "frozen" clusters)  ->  merge template.  At report time clusters whose
templates are identical are merged (post-merge).
"""
V = "<*>"
DELIMS = set("=:,;()[]{}|")               # split points inside a word; kept as tokens
LEAD = set("([{\"'")                      # peeled off the front of a word
TAILS = set(")]}\"',;:.")                 # peeled off the end of a word
CLOSE = {")": "(", "]": "[", "}": "{", '"': '"', "'": "'"}   # closer -> opener
HEX = set("0123456789abcdefABCDEF")
LITERALS = {"true", "false", "null", "nil", "none"}
UNITS = {"b", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "byte", "bytes",
         "ms", "us", "ns", "sec", "secs", "second", "seconds", "min", "mins", "minutes"}
MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
          "mon", "tue", "wed", "thu", "fri", "sat", "sun"}
SIM_TH = 0.75         # similarity threshold
DEPTH = 2             # constant words used as tree keys (after token count)
MAX_CHILD = 100       # children per tree node before falling back to the V child
FREEZE = 50           # cluster with >= FREEZE lines no longer generalizes constant words


def has_digit(s):
    return any("0" <= c <= "9" for c in s)


def is_hostname(w):       # >= 3 labels, lowercase letters / digits / '-'
    if w.count(".") < 2 or w[0] == "." or w[-1] == "." or ".." in w:
        return False
    return all("a" <= c <= "z" or "0" <= c <= "9" or c in "-." for c in w)


def special_var(w):
    """Classes that contain ':' '/' '.' and must be recognized before splitting."""
    if "://" in w:
        return True                                            # URL
    if w.count(":") >= 2 and all(c in HEX or c in ":.-" for c in w):
        return True                                            # IPv6, MAC, hh:mm:ss
    if ":" in w and all("0" <= c <= "9" or c in ":." for c in w):
        return True                                            # time, IPv4:port
    host, _, port = w.rpartition(":")
    if host and port.isdigit() and "." in host and ":" not in host:
        return True                                            # host:port
    if (w[0] == "/" and "/" in w[1:]) or w.count("/") >= 2:
        return True                                            # path
    return is_hostname(w)


def piece_var(s):
    return has_digit(s) or s.lower() in LITERALS or special_var(s)


def split_words(line):
    """Whitespace split; a key="quoted value" spanning several words stays one word."""
    words, out, i = line.split(), [], 0
    while i < len(words):
        w = words[i]
        for q in "\"'":
            k = w.find("=" + q)
            if k >= 0 and q not in w[k + 2:]:
                j = i + 1
                while j < len(words) and q not in words[j]:
                    j += 1
                if j < len(words):
                    w = " ".join(words[i:j + 1]); i = j
                break
        out.append(w)
        i += 1
    return out


def kv_value_end(core, j):
    """End of a key=value value: ',' or ';' at depth 0, an unmatched closer, or end."""
    if j < len(core) and core[j] in "\"'":
        k = core.find(core[j], j + 1)                 # quoted value: up to the closing quote
        if k > 0:
            return k + 1
    depth = 0
    while j < len(core):
        d = core[j]
        if d in "([{":
            depth += 1
        elif d in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif d in ",;" and depth == 0:
            break
        j += 1
    return j


def tokenize(line):
    """Return list of (token, space_before); variables are V."""
    out = []
    for word in split_words(line):
        a, b = 0, len(word)
        while a < b and word[a] in LEAD:
            a += 1
        while b > a and word[b - 1] in TAILS:
            c = word[b - 1]
            if c in CLOSE and CLOSE[c] in word[a:b - 1]:
                break                        # keep balanced f(x), k="v" closers inside the word
            b -= 1
        core = word[a:b]
        toks = list(word[:a])
        if core and (special_var(core) or core.lower() in LITERALS or (
                has_digit(core) and "=" not in core and ":" not in core)):
            toks.append(V)                             # whole word is one variable
        elif core:
            cur, i = "", 0
            while i < len(core):
                c = core[i]
                if c in DELIMS:
                    if cur:
                        toks.append(V if piece_var(cur) else cur)
                        cur = ""
                    toks.append(c)
                    if c == "=":                       # key=value: whole value is a variable
                        j = kv_value_end(core, i + 1)
                        if j > i + 1:
                            toks.append(V)
                        i = j
                        continue
                else:
                    cur += c
                i += 1
            if cur:
                toks.append(V if piece_var(cur) else cur)
        toks += list(word[b:])
        out += [(t, k == 0) for k, t in enumerate(toks)]
    # dates: month/day names next to a variable (scan right to left: "Fri Jun 17")
    for i in range(len(out) - 1, -1, -1):
        t, sp = out[i]
        if t.lower() in MONTHS and ((i + 1 < len(out) and out[i + 1][0] == V)
                                    or (i and out[i - 1][0] == V)):
            out[i] = (V, sp)
    # number + unit word -> one variable ("10 ms", "5 KB")
    out = [p for i, p in enumerate(out)
           if not (i and out[i - 1][0] == V and p[1] and p[0].lower() in UNITS)]
    # compaction:  V ( ) / V ( V ) -> V ;  V V -> V ;  V , V -> V
    res = []
    i = 0
    while i < len(out):
        t, sp = out[i]
        prev_v = bool(res) and res[-1][0] == V
        if prev_v and t == "(":
            if i + 1 < len(out) and out[i + 1][0] == ")":
                i += 2; continue
            if i + 2 < len(out) and out[i + 1][0] == V and out[i + 2][0] == ")":
                i += 3; continue
        if t == V and prev_v:
            i += 1; continue
        if t == V and len(res) >= 2 and res[-1][0] == "," and res[-2][0] == V:
            res.pop(); i += 1; continue
        res.append((t, sp))
        i += 1
    return res


def is_word(t):
    return not (len(t) == 1 and t in DELIMS) and t != V


class Cluster:
    __slots__ = ("id", "tpl", "spaces", "size")

    def __init__(self, cid, toks, spaces):
        self.id, self.tpl, self.spaces, self.size = cid, list(toks), spaces, 0

    def text(self):
        return "".join((" " if sp and i else "") + t
                       for i, (t, sp) in enumerate(zip(self.tpl, self.spaces)))


def similarity(tpl, toks):
    """(matching constant words / constant words in template, #variables in template)."""
    same = words = params = 0
    for a, b in zip(tpl, toks):
        if a == V:
            params += 1
        elif is_word(a):
            words += 1
            same += a == b
    return (same / words if words else 1.0), params


class Miner:
    def __init__(self):
        self.root = {}
        self.clusters = []
        self.cache = {}            # exact masked token sequence -> cluster

    def _leaf(self, toks):
        node = self.root.setdefault(len(toks), {})
        for key in [t for t in toks if is_word(t)][:DEPTH]:
            if key not in node and len(node) >= MAX_CHILD:
                key = V
            node = node.setdefault(key, {})
        return node.setdefault(None, [])

    def add(self, line):
        pairs = tokenize(line)
        toks = [t for t, _ in pairs]
        key = "\x00".join(toks)
        best = self.cache.get(key)
        if best is None:
            leaf = self._leaf(toks)
            bsim, bpar = -1.0, -1
            for c in leaf:
                if c.size >= FREEZE and any(a != b and a != V for a, b in zip(c.tpl, toks)):
                    continue                           # frozen: constant words must match
                s, p = similarity(c.tpl, toks)
                if s > bsim or (s == bsim and p > bpar):
                    best, bsim, bpar = c, s, p
            if best is None or bsim < SIM_TH:
                best = Cluster(len(self.clusters), toks, [s for _, s in pairs])
                self.clusters.append(best)
                leaf.append(best)
            else:
                best.tpl = [a if a == b else V for a, b in zip(best.tpl, toks)]
            self.cache[key] = best
        best.size += 1
        return best.id

    def final_groups(self):
        """cluster id -> id of the oldest cluster with an identical template (post-merge)."""
        first = {}
        return {c.id: first.setdefault(tuple(c.tpl), c.id) for c in self.clusters}


def parse(lines):
    m = Miner()
    ids = [m.add(x) for x in lines]
    g = m.final_groups()
    return [g[i] for i in ids]
