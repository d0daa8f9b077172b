// Members of the InternVL family that synthetic checkpoints can take the layout of: what differs between them
// outside the dimensions — the language model (architecture and name), the conversation template, the tokenizer,
// and the added tokens after the tokenizer's own (which set the vocabulary size and the image tokens' ids).
import { ADDED_TOKENS, BPE_VOCAB_SIZE } from '../../tokenizer/special_tokens.js';
import { INTERNLM2_SP_PIECES, INTERNVL_ADDED_TOKENS } from './sentencepiece_files.js';
import { PHI3_ADDED_TOKENS, PHI3_SP_PIECES } from './sentencepiece_phi3_files.js';

export type FamilyName = 'internvl2-1b' | 'internvl2_5-1b' | 'internvl2-2b' | 'internvl2-4b';
export const FAMILIES: readonly FamilyName[] = ['internvl2-1b', 'internvl2_5-1b', 'internvl2-2b', 'internvl2-4b'];

export interface AddedToken {
  readonly content: string;
  readonly id: number;
  /** tokenizer_config.json's `special` (skipped when decoding with skip_special_tokens). */
  readonly special: boolean;
}

export interface Family {
  /** llm_config.architectures[0]. */
  readonly architecture: 'Qwen2ForCausalLM' | 'InternLM2ForCausalLM' | 'Phi3ForCausalLM';
  readonly llmName: string;
  readonly template: string;
  /** Qwen's byte-level BPE (151643 tokens), InternLM2's SentencePiece model (92544 pieces) or Phi-3's (Llama's 32000 pieces and 11 added). */
  readonly tokenizer: 'qwen2-bpe' | 'internlm2-sentencepiece' | 'phi3-sentencepiece';
  readonly addedTokens: readonly AddedToken[];
}

/** Phi-3's tokens before InternVL's: Llama's 32000 SentencePiece pieces and 11 added (<|endoftext|> … <|user|>). */
const PHI3_TOKENS = PHI3_SP_PIECES + PHI3_ADDED_TOKENS.length;

// Qwen2.5's 22 added tokens, in id order from 151643. The tool-call, fill-in-the-middle and repository tokens are
// not special in Qwen2.5's tokenizer_config.json (from memory of the official file: not verifiable offline).
const QWEN25_TOKENS: readonly (readonly [string, boolean])[] = [
  ['<|endoftext|>', true], ['<|im_start|>', true], ['<|im_end|>', true], ['<|object_ref_start|>', true], ['<|object_ref_end|>', true],
  ['<|box_start|>', true], ['<|box_end|>', true], ['<|quad_start|>', true], ['<|quad_end|>', true], ['<|vision_start|>', true],
  ['<|vision_end|>', true], ['<|vision_pad|>', true], ['<|image_pad|>', true], ['<|video_pad|>', true], ['<tool_call>', false],
  ['</tool_call>', false], ['<|fim_prefix|>', false], ['<|fim_middle|>', false], ['<|fim_suffix|>', false], ['<|fim_pad|>', false],
  ['<|repo_name|>', false], ['<|file_sep|>', false],
];

const numbered = (tokens: readonly (readonly [string, boolean])[]): AddedToken[] => tokens.map(([content, special], i) => ({ content, id: BPE_VOCAB_SIZE + i, special }));

export const FAMILY: Readonly<Record<FamilyName, Family>> = {
  // InternVL2-1B: Qwen2's 3 ChatML tokens, then InternVL's 9 (SPEC §8): 151655 rows, <IMG_CONTEXT> = 151648.
  'internvl2-1b': { architecture: 'Qwen2ForCausalLM', tokenizer: 'qwen2-bpe', llmName: 'Qwen/Qwen2-0.5B-Instruct', template: 'Hermes-2', addedTokens: ADDED_TOKENS.map((t) => ({ ...t, special: true })) },
  // InternVL2.5-1B (and InternVL3-1B): Qwen2.5's 22, then InternVL's 9: 151674 rows, <img> = 151665,
  // </img> = 151666, <IMG_CONTEXT> = 151667 (as upstream's training constants note).
  'internvl2_5-1b': {
    architecture: 'Qwen2ForCausalLM',
    tokenizer: 'qwen2-bpe',
    llmName: 'Qwen/Qwen2.5-0.5B-Instruct',
    template: 'internvl2_5',
    addedTokens: numbered([...QWEN25_TOKENS, ...INTERNVL_ADDED_TOKENS.map((t) => [t, true] as const)]),
  },
  // InternVL2-2B: internlm2-chat-1_8b and InternVL's 9 tokens after its 92544 pieces: 92553 rows, <img> = 92544,
  // <IMG_CONTEXT> = 92546 (from memory of the official tokenizer_config.json: not verifiable offline).
  'internvl2-2b': {
    architecture: 'InternLM2ForCausalLM',
    tokenizer: 'internlm2-sentencepiece',
    llmName: 'internlm/internlm2-chat-1_8b',
    template: 'internlm2-chat',
    addedTokens: INTERNVL_ADDED_TOKENS.map((content, i) => ({ content, id: INTERNLM2_SP_PIECES + i, special: true })),
  },
  // InternVL2-4B: Phi-3-mini-128k-instruct and InternVL's 9 tokens from 32011: 32020 rows, <IMG_CONTEXT> = 32013
  // (from memory of the official files).
  'internvl2-4b': {
    architecture: 'Phi3ForCausalLM',
    tokenizer: 'phi3-sentencepiece',
    llmName: 'microsoft/Phi-3-mini-128k-instruct',
    template: 'phi3-chat',
    addedTokens: INTERNVL_ADDED_TOKENS.map((content, i) => ({ content, id: PHI3_TOKENS + i, special: true })),
  },
};

export function family(name: string): Family {
  const f = FAMILY[name as FamilyName];
  if (!f) throw new Error(`make_checkpoint: unknown family ${JSON.stringify(name)} (known: ${FAMILIES.join(', ')})`);
  return f;
}

/** Rows of the embedding and lm_head: the tokenizer's own tokens and the added ones. */
export function vocabSize(f: Family): number {
  const own = { 'qwen2-bpe': BPE_VOCAB_SIZE, 'internlm2-sentencepiece': INTERNLM2_SP_PIECES, 'phi3-sentencepiece': PHI3_TOKENS };
  return own[f.tokenizer] + f.addedTokens.length;
}
