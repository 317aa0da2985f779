"""Layer 1 against the real thing: random .sdl texts parsed by a JDK's Properties.load (through an
OrderedProperties like Data Loader's) and by ours must agree, pairs, order and errors."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from schemas.dataloader import PropertiesSyntaxError, decode_properties

JAVA = shutil.which("java")

# Reads every file named on the command line as Data Loader does (FileInputStream, so
# ISO-8859-1), with put() keeping the last duplicate at its last place, and prints one line a
# file: ERROR, or the pairs as hex UTF-16 code units (no encoding can garble them).
PROGRAM = r"""
import java.io.*;
import java.util.*;

public class Parse {
    static class Ordered extends Properties {
        final LinkedHashMap<Object, Object> order = new LinkedHashMap<>();
        @Override public synchronized Object put(Object k, Object v) {
            order.remove(k);
            order.put(k, v);
            return super.put(k, v);
        }
    }
    static String hex(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) b.append(String.format("%04x", (int) c));
        return b.toString();
    }
    public static void main(String[] args) throws Exception {
        for (String name : args) {
            Ordered p = new Ordered();
            try (InputStream in = new FileInputStream(name)) {
                p.load(in);
            } catch (IllegalArgumentException e) {
                System.out.println("ERROR");
                continue;
            }
            StringBuilder line = new StringBuilder("OK");
            for (Map.Entry<Object, Object> e : p.order.entrySet()) {
                line.append(' ').append(hex((String) e.getKey())).append(':')
                    .append(hex((String) e.getValue()));
            }
            System.out.println(line);
        }
    }
}
"""

ALPHABET = [
    "a", "b", "Name", "=", ":", " ", "\t", "\f", "\\", "\\", "#", "!", '"', ",", "-", ".",
    "\n", "\r", "\r\n", "\\u00e9", "\\u12", "\\t", "\\n", "\\ ", "u", "0", "F", "é", "\xa0",
]  # fmt: skip


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))


def ours(data: bytes) -> str:
    try:
        read = decode_properties(data)
    except PropertiesSyntaxError:
        return "ERROR"
    hexed = [f"{_hex(key)}:{_hex(value)}" for key, value in read.as_pairs()]
    return " ".join(["OK", *hexed])


def _hex(text: str) -> str:
    units = text.encode("utf-16-be", "surrogatepass")
    return units.hex()


@pytest.mark.slow
@pytest.mark.skipif(JAVA is None, reason="no JDK on this machine to compare with")
def test_random_texts_parse_as_the_jdk_parses_them(tmp_path: Path) -> None:
    assert JAVA is not None
    rng = random.Random(20260624)
    texts = [random_text(rng) for _ in range(1500)]
    names = []
    for index, text in enumerate(texts):
        name = tmp_path / f"{index}.sdl"
        name.write_bytes(text.encode("iso-8859-1"))
        names.append(str(name))
    source = tmp_path / "Parse.java"
    source.write_text(PROGRAM, encoding="utf-8")
    # Single-file source launch (JDK 11+): no build step, nothing left behind.
    run = subprocess.run(
        [JAVA, str(source), *names], capture_output=True, text=True, check=True, timeout=120
    )
    java_lines = run.stdout.splitlines()
    assert len(java_lines) == len(texts)
    differing = [
        (text, java, mine)
        for text, java, mine in zip(
            texts, java_lines, (ours(t.encode("iso-8859-1")) for t in texts), strict=True
        )
        if java != mine
    ]
    assert not differing, differing[:3]
    # The generator reaches the interesting paths: errors, duplicates and continuations.
    assert sum(line == "ERROR" for line in java_lines) > 50
    assert sum("\\\n" in text for text in texts) > 50
