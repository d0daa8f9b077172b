// The 12 added tokens of InternVL2-1B (SPEC §8), in id order: the 3 Qwen2 ChatML tokens, then the 9
// tokens InternVL's training code added with special_tokens=True. All are special and matched atomically.

export const ENDOFTEXT = 151643;
export const IM_START = 151644;
export const IM_END = 151645;
export const IMG_START = 151646;
export const IMG_END = 151647;
export const IMG_CONTEXT = 151648;

/** Number of byte-level BPE tokens (ids 0..151642); added tokens start here. */
export const BPE_VOCAB_SIZE = 151643;

export const ADDED_TOKENS: readonly { readonly content: string; readonly id: number }[] = [
  { content: '<|endoftext|>', id: ENDOFTEXT },
  { content: '<|im_start|>', id: IM_START },
  { content: '<|im_end|>', id: IM_END },
  { content: '<img>', id: IMG_START },
  { content: '</img>', id: IMG_END },
  { content: '<IMG_CONTEXT>', id: IMG_CONTEXT },
  { content: '<quad>', id: 151649 },
  { content: '</quad>', id: 151650 },
  { content: '<ref>', id: 151651 },
  { content: '</ref>', id: 151652 },
  { content: '<box>', id: 151653 },
  { content: '</box>', id: 151654 },
];
