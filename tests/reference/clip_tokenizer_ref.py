#!/usr/bin/python3
"""Independent Python reference for camoe's CLIP BPE tokenizer (worker/text).

Written from the specification in docs/tokenizer.md; it shares no code with
the C++ and leans on Python's own primitives for the hard parts: html.unescape,
unicodedata, str.lower/strip and the `regex` module (Debian: python3-regex).

Input: captions, one JSON string per line (so any character is representable).
Output: for each caption, one line with the JSON array of its BPE ids (no
<|startoftext|>/<|endoftext|>), or with --clean the JSON string that the text
cleaning produces. With --classes it instead prints, for every code point, how
the pre-tokeniser pattern treats it (see char_classes).

The committed golden file is produced with (from the repository root):

  /usr/bin/python3 tests/reference/clip_tokenizer_ref.py \
      --bpe build/assets/bpe_simple_vocab_16e6.txt.gz \
      --captions tests/data/tokenizer_captions.jsonl \
      --out tests/data/tokenizer_golden.jsonl

and the `tokenizer_python_test` ctest re-runs exactly this and compares.
"""

import argparse
import gzip
import html
import html.entities
import json
import re
import sys
import unicodedata

import regex

NUM_MERGES = 49152 - 256 - 2


# ---------------------------------------------------------------- ftfy subset
# ftfy 6's fix_text with only these fixers, in its order, repeated per line
# until nothing changes: unescape_html, fix_c1_controls, fix_latin_ligatures,
# fix_character_width, uncurl_quotes, fix_line_breaks,
# remove_terminal_escapes, remove_control_chars, NFC.

def _ftfy_entities():
    table = {}
    for name, value in html.entities.html5.items():
        if not name.endswith(";"):
            continue
        table["&" + name] = value
        if name == name.lower():
            shouted = "&" + name.upper()
            if html.unescape(shouted) == shouted:
                table[shouted] = value.upper()
    return table


FTFY_ENTITIES = _ftfy_entities()
FTFY_ENTITY_RE = re.compile(r"&#?[0-9A-Za-z]{1,24};")


def ftfy_unescape(text):
    def replace(match):
        entity = match.group(0)
        if entity in FTFY_ENTITIES:
            return FTFY_ENTITIES[entity]
        if entity.startswith("&#"):
            decoded = html.unescape(entity)
            return entity if ";" in decoded else decoded
        return entity
    return FTFY_ENTITY_RE.sub(replace, text)


def _c1(match):
    raw = bytes([ord(match.group(0))])
    try:
        return raw.decode("windows-1252")
    except UnicodeDecodeError:
        return match.group(0)


LIGATURES = str.maketrans({
    "\u0132": "IJ", "\u0133": "ij", "\u0149": "\u02bcn",
    "\u01c4": "D\u017d", "\u01c5": "D\u017e", "\u01c6": "d\u017e",
    "\u01c7": "LJ", "\u01c8": "Lj", "\u01c9": "lj",
    "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj",
    "\u01f1": "DZ", "\u01f2": "Dz", "\u01f3": "dz",
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
    "\ufb04": "ffl", "\ufb05": "\u017ft", "\ufb06": "st",
})


def _width_table():
    table = {0x3000: " "}
    for code in range(0xFF01, 0xFFF0):
        narrow = unicodedata.normalize("NFKC", chr(code))
        if narrow != chr(code):
            table[code] = narrow
    return table


WIDTH = _width_table()
CONTROLS = dict.fromkeys(
    list(range(0x00, 0x09)) + [0x0B] + list(range(0x0E, 0x20)) + [0x7F]
    + list(range(0x206A, 0x2070)) + [0xFEFF] + list(range(0xFFF9, 0xFFFD)))
TERMINAL_ESCAPE_RE = re.compile("\x1b\\[((?:\\d|;)*)([a-zA-Z])")


def fix_segment(text, unescape):
    while True:
        before = text
        if unescape:
            text = ftfy_unescape(text)
        text = re.sub("[\x80-\x9f]", _c1, text)
        text = text.translate(LIGATURES)
        text = text.translate(WIDTH)
        text = re.sub("[\u02bc\u2018-\u201b]", "'", text)
        text = re.sub("[\u201c-\u201f]", '"', text)
        for old in ("\r\n", "\r", "\u2028", "\u2029", "\u0085"):
            text = text.replace(old, "\n")
        text = TERMINAL_ESCAPE_RE.sub("", text)
        text = text.translate(CONTROLS)
        text = unicodedata.normalize("NFC", text)
        if text == before:
            return text


def fix_text(text):
    pieces = []
    unescape = True
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        end = min(end, start + 1000000)
        segment = text[start:end]
        if "<" in segment:
            unescape = False
        pieces.append(fix_segment(segment, unescape))
        start = end
    return "".join(pieces)


def clean(text):
    text = fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    text = regex.sub(r"\s+", " ", text).strip()
    return text.lower()


# ---------------------------------------------------------------------- BPE

WORD_RE = regex.compile(
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|"
    r"[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", regex.IGNORECASE)
SPECIAL = {"<|startoftext|>": 49406, "<|endoftext|>": 49407}


def byte_alphabet():
    """Byte value -> symbol, in vocabulary order."""
    kept = [b for b in range(256)
            if ord("!") <= b <= ord("~") or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    others = [b for b in range(256) if b not in kept]
    alphabet = {b: chr(b) for b in kept}
    alphabet.update({b: chr(0x100 + i) for i, b in enumerate(others)})
    return kept + others, alphabet


class Tokenizer:
    def __init__(self, path):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            lines = f.read().decode("utf-8").split("\n")
        pairs = [tuple(line.split()) for line in lines[1:1 + NUM_MERGES]]
        assert len(pairs) == NUM_MERGES and all(len(p) == 2 for p in pairs), path
        order, self.alphabet = byte_alphabet()
        symbols = [self.alphabet[b] for b in order]
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(p) for p in pairs]
        self.ids = {s: i for i, s in enumerate(vocab)}
        self.ranks = {p: i for i, p in enumerate(pairs)}
        self.memo = {}

    def bpe(self, word):
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            ranked = [(self.ranks[p], p) for p in zip(parts, parts[1:]) if p in self.ranks]
            if not ranked:
                break
            _, (left, right) = min(ranked)
            merged, i = [], 0
            while i < len(parts):
                if i + 1 < len(parts) and parts[i] == left and parts[i + 1] == right:
                    merged.append(left + right)
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return [self.ids[p] for p in parts]

    def encode(self, text):
        out = []
        for word in WORD_RE.findall(clean(text)):
            if word in SPECIAL:
                out.append(SPECIAL[word])
                continue
            if word not in self.memo:
                self.memo[word] = self.bpe("".join(self.alphabet[b] for b in word.encode("utf-8")))
            out.extend(self.memo[word])
        return out


def char_classes():
    """One letter per code point 0..0x10FFFF, probing WORD_RE itself: 'S' no
    alternative matches (skipped), 'L' joins a letter run, 'N' a number (one
    per word), 'O' joins a run of other characters; 'X' for surrogates."""
    findall = WORD_RE.findall
    out = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            out.append("X")
            continue
        char = chr(code)
        if not findall(char):
            out.append("S")
        elif len(findall("a" + char)) == 1:
            out.append("L")
        elif len(findall(char + char)) == 2:
            out.append("N")
        else:
            out.append("O")
    return "".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bpe", help="bpe_simple_vocab_16e6.txt[.gz] (needed for ids)")
    parser.add_argument("--captions", default="-", help="JSON-lines captions (default stdin)")
    parser.add_argument("--out", default="-", help="output file (default stdout)")
    parser.add_argument("--clean", action="store_true", help="write cleaned text, not ids")
    parser.add_argument("--classes", action="store_true", help="write the code point classes")
    args = parser.parse_args()
    if args.classes:
        sys.stdout.write(char_classes() + "\n")
        return
    if not args.clean and not args.bpe:
        parser.error("--bpe is required to write ids")

    source = sys.stdin if args.captions == "-" else open(args.captions, encoding="utf-8")
    captions = [json.loads(line) for line in source if line.strip()]
    tokenizer = None if args.clean else Tokenizer(args.bpe)
    lines = []
    for caption in captions:
        if args.clean:
            lines.append(json.dumps(clean(caption), ensure_ascii=True))
        else:
            lines.append(json.dumps(tokenizer.encode(caption), separators=(",", ":")))
    text = "".join(line + "\n" for line in lines)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


if __name__ == "__main__":
    main()
