// Members of the InternVL family that synthetic checkpoints can take the layout of: what differs between them
// outside the dimensions — the language model's name, the conversation template, and the added tokens after the
// 151643 byte-level BPE tokens (which set the vocabulary size and the image tokens' ids).
import { ADDED_TOKENS, BPE_VOCAB_SIZE } from '../../tokenizer/special_tokens.js';

export type FamilyName = 'internvl2-1b' | 'internvl2_5-1b';
export const FAMILIES: readonly FamilyName[] = ['internvl2-1b', 'internvl2_5-1b'];

export interface AddedToken {
  readonly content: string;
  readonly id: number;
  /** tokenizer_config.json's `special` (skipped when decoding with skip_special_tokens). */
  readonly special: boolean;
}

export interface Family {
  readonly llmName: string;
  readonly template: string;
  readonly addedTokens: readonly AddedToken[];
}

const INTERNVL_TOKENS = ['<img>', '</img>', '<IMG_CONTEXT>', '<quad>', '</quad>', '<ref>', '</ref>', '<box>', '</box>'];

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
  'internvl2-1b': { llmName: 'Qwen/Qwen2-0.5B-Instruct', template: 'Hermes-2', addedTokens: ADDED_TOKENS.map((t) => ({ ...t, special: true })) },
  // InternVL2.5-1B (and InternVL3-1B): Qwen2.5's 22, then InternVL's 9: 151674 rows, <img> = 151665,
  // </img> = 151666, <IMG_CONTEXT> = 151667 (as upstream's training constants note).
  'internvl2_5-1b': {
    llmName: 'Qwen/Qwen2.5-0.5B-Instruct',
    template: 'internvl2_5',
    addedTokens: numbered([...QWEN25_TOKENS, ...INTERNVL_TOKENS.map((t) => [t, true] as const)]),
  },
};

export function family(name: string): Family {
  const f = FAMILY[name as FamilyName];
  if (!f) throw new Error(`make_checkpoint: unknown family ${JSON.stringify(name)} (known: ${FAMILIES.join(', ')})`);
  return f;
}

/** Rows of the embedding and lm_head: the BPE tokens and the added ones. */
export function vocabSize(f: Family): number {
  return BPE_VOCAB_SIZE + f.addedTokens.length;
}
