// The files of one model directory (config.json, model.safetensors, tokenizer files), wherever they live.
// The core only sees this interface; tools/node/dir_files.ts and loader/url_files.ts implement it.
import type { ByteSource } from './byte_source.js';

export interface ModelFiles {
  /** Where the files come from ("/models/InternVL2-1B", "https://…/"), for messages. */
  describe(): string;
  /** Random access to a file, or undefined when it does not exist. */
  open(file: string): Promise<ByteSource | undefined>;
  /** A whole (small) text file as UTF-8, or undefined when it does not exist. */
  readText(file: string): Promise<string | undefined>;
}
