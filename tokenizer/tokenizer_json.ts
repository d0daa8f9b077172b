// Builds the in-memory tokenizer.json of a Qwen2 byte-level BPE tokenizer from the "slow" file set
// (vocab.json + merges.txt + added_tokens.json + tokenizer_config.json), which is what InternVL2-1B ships.
// The pipeline mirrors Qwen2TokenizerFast (SPEC §8): NFC, regex Split (Isolated), ByteLevel without regex,
// BPE, ByteLevel decoder, and a ByteLevel post-processor that adds nothing (no BOS/EOS).

/** Qwen2 pre-tokenizer regex (SPEC §8), in the Oniguruma syntax tokenizer.json stores. */
export const QWEN2_SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface BpeModelJson {
  type: 'BPE';
  vocab: Record<string, number>;
  /** tokenizers ≥ 0.20 writes pairs; older files write "a b" strings. Both are accepted. */
  merges: string[] | [string, string][];
  [key: string]: unknown;
}

export interface TokenizerJson {
  added_tokens: AddedTokenJson[];
  model: BpeModelJson;
  [key: string]: unknown;
}

/** Entry of tokenizer_config.json's added_tokens_decoder (keyed by id as a string). */
export type AddedTokenFlags = Omit<AddedTokenJson, 'id'>;

export interface TokenizerConfigJson {
  added_tokens_decoder?: Record<string, Partial<AddedTokenFlags>>;
  additional_special_tokens?: string[];
  clean_up_tokenization_spaces?: boolean;
  [key: string]: unknown;
}

/** merges.txt → ["a b", …]: drops the "#version" header and blank lines. */
export function parseMergesTxt(text: string): string[] {
  const lines = text.split('\n');
  const merges: string[] = [];
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length === 0 || line.startsWith('#version')) continue;
    merges.push(line);
  }
  return merges;
}

/**
 * Added tokens from added_tokens.json (content → id) with flags from tokenizer_config.json's
 * added_tokens_decoder when present. Missing flags default to how InternVL added them: special,
 * not normalized, no stripping, so each is matched atomically and surrounding whitespace stays text.
 */
export function mergeAddedTokens(
  addedTokens: Record<string, number>,
  config: TokenizerConfigJson | undefined,
): AddedTokenJson[] {
  const byId = new Map<number, AddedTokenJson>();
  const add = (id: number, content: string, flags: Partial<AddedTokenFlags> | undefined) =>
    byId.set(id, {
      id,
      content,
      single_word: flags?.single_word ?? false,
      lstrip: flags?.lstrip ?? false,
      rstrip: flags?.rstrip ?? false,
      normalized: flags?.normalized ?? false,
      special: flags?.special ?? true,
    });
  for (const [content, id] of Object.entries(addedTokens)) add(id, content, undefined);
  for (const [idStr, flags] of Object.entries(config?.added_tokens_decoder ?? {})) {
    const id = Number(idStr);
    const content = flags.content ?? byId.get(id)?.content;
    if (content === undefined) throw new Error(`tokenizer: added token ${id} has no content`);
    add(id, content, flags);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** The tokenizer.json object Qwen2TokenizerFast would produce from the slow files. */
export function buildQwen2TokenizerJson(
  vocab: Record<string, number>,
  merges: string[] | [string, string][],
  addedTokens: AddedTokenJson[],
): TokenizerJson {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_SPLIT_REGEX }, behavior: 'Isolated', invert: false },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

/** Merges as "a b" strings whichever way the file stored them. */
export function mergesAsStrings(merges: string[] | [string, string][]): string[] {
  return merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
}
