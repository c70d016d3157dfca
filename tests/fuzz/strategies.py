"""Byte- and structure-level mutations of valid seed inputs."""
from __future__ import annotations

from hypothesis import strategies as st

# Values that break parsers: wrong types, extremes, odd text.
NASTY = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(1 << 70), max_value=1 << 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["0x", "0x20000001", "1M", "-1", "1e309", "nan", "{", "!!python/object:os.system", "~",
                     "0xFFFFFFFF", "10K", "64MHz", "2s", "", " "]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@st.composite
def mutated_bytes(draw, seed: bytes, head: int = 0):
    """``seed`` with 1-8 edits: flips, overwrites, inserts, deletes, truncation, duplication.
    ``head`` > 0 aims half the edits at the first ``head`` bytes (file headers)."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            data += draw(st.binary(min_size=1, max_size=8))
            continue
        top = min(head, len(data)) if head and draw(st.booleans()) else len(data)
        pos = draw(st.integers(0, top - 1))
        op = draw(st.sampled_from(["flip", "set", "word", "insert", "delete", "truncate", "dup"]))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[pos] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF, draw(st.integers(0, 255))]))
        elif op == "word":
            w = draw(st.sampled_from([0, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, draw(st.integers(0, (1 << 32) - 1))]))
            data[pos:pos + 4] = w.to_bytes(4, "little")
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[pos:]
        else:
            n = draw(st.integers(1, 64))
            data[pos:pos] = data[pos:pos + n]
    return bytes(data)


@st.composite
def mutated_tree(draw, tree):
    """A YAML/JSON tree with 1-4 values replaced, keys dropped or added."""
    import copy
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, 4))):
        node, path = tree, []
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            k = draw(st.sampled_from(sorted(node, key=str) if isinstance(node, dict) else range(len(node))))
            path.append((node, k))
            node = node[k]
        if not path:
            continue
        parent, k = path[-1]
        what = draw(st.sampled_from(["replace", "drop", "add"]))
        if what == "replace" or not isinstance(parent, dict):
            parent[k] = draw(NASTY)
        elif what == "drop":
            del parent[k]
        else:
            parent[draw(st.text(min_size=1, max_size=8))] = draw(NASTY)
    return tree
