"""Trains the byte-level BPE tokenizer of builtin:tiny-math and writes it as a standard
Hugging Face tokenizer.json (Qwen2-style: NFC, the Qwen2 split regex with single digits, ByteLevel
pre-tokenizer and decoder, BPE merges) plus tokenizer_config.json with the chat template.

Usage: python3 train_tokenizer.py CORPUS.jsonl OUT_DIR CHAT_TEMPLATE.jinja VOCAB_SIZE
CORPUS.jsonl holds one JSON string per line: rendered chat transcripts (ASCII).
"""
import collections
import json
import re
import sys

ADDED = [
    # (content, special): special tokens are dropped by decode(skip_special_tokens); the tool
    # markup is not, so decoded assistant text keeps its <tool_call> blocks.
    ("<|endoftext|>", True),
    ("<|im_start|>", True),
    ("<|im_end|>", True),
    ("<tool_call>", False),
    ("</tool_call>", False),
    ("<tool_response>", False),
    ("</tool_response>", False),
]

# Qwen2's split pattern, as the runtime (Oniguruma syntax) sees it.
SPLIT_REGEX = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
# The same pattern for Python's re on ASCII text, where \p{L} is [A-Za-z] and \p{N} is [0-9].
ASCII_SPLIT = re.compile(r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]| ?[^\sA-Za-z0-9]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map used by ByteLevel."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def word_counts(texts):
    b2u = bytes_to_unicode()
    added = re.compile("|".join(re.escape(c) for c, _ in ADDED))
    counts = collections.Counter()
    for text in texts:
        if not text.isascii():
            raise SystemExit("corpus: the tokenizer trainer expects ASCII text")
        for part in added.split(text):
            for piece in ASCII_SPLIT.findall(part):
                counts["".join(b2u[b] for b in piece.encode("utf-8"))] += 1
    return counts


def train_bpe(counts, n_merges):
    words = [(list(w), c) for w, c in counts.items()]
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for symbols, c in words:
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        # Most frequent pair; ties broken by the pair itself so the result is deterministic.
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if best[1] < 2:
            break
        (a, b), _ = best
        merges.append((a, b))
        ab = a + b
        for symbols, _c in words:
            i = 0
            while i < len(symbols) - 1:
                if symbols[i] == a and symbols[i + 1] == b:
                    symbols[i : i + 2] = [ab]
                i += 1
    return merges


def main():
    corpus, out_dir, template_file, vocab_size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    with open(corpus, encoding="utf-8") as f:
        texts = [json.loads(line) for line in f if line.strip()]
    counts = word_counts(texts)
    alphabet = [bytes_to_unicode()[b] for b in range(256)]
    merges = train_bpe(counts, vocab_size - len(alphabet) - len(ADDED))
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    for a, b in merges:
        # Two merge paths can spell the same token; it keeps its first id.
        vocab.setdefault(a + b, len(vocab))
    added_tokens = [
        {"id": len(vocab) + i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": s}
        for i, (c, s) in enumerate(ADDED)
    ]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": SPLIT_REGEX}, "behavior": "Isolated", "invert": False},
                byte_level,
            ],
        },
        "post_processor": byte_level,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }
    with open(template_file, encoding="utf-8") as f:
        chat_template = f.read()
    config = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")} for t in added_tokens
        },
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": None,
        "chat_template": chat_template,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 2048,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    with open(f"{out_dir}/tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(f"{out_dir}/tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")
    longest = max((len(w) for w in vocab), default=0)
    print(f"tokenizer: {len(vocab)} BPE entries ({len(merges)} merges, {len(counts)} distinct words), {len(added_tokens)} added tokens, longest entry {longest} chars")


if __name__ == "__main__":
    main()
