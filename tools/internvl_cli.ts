// internvl <chat|generate|preprocess> … — see README.md.
import { chatCommand } from './cli/chat.js';
import { generateCommand } from './cli/generate.js';
import { preprocessCommand } from './cli/preprocess.js';

const USAGE = `usage:
  internvl chat --model DIR|REPO [--image F]... [--combine-images] [--max-tiles N] [--video F --frames N]
  internvl generate --model DIR|REPO --prompt TEXT [--image F]... [--max-tiles N] [--video F --frames N]
                    [--max-new-tokens N] [--temperature T --top-p P --top-k K --seed S] [--json] [--logits-out FILE]
  internvl preprocess --image F [--max-tiles N] --out FILE`;

const commands: Record<string, (argv: readonly string[]) => Promise<void>> = { chat: chatCommand, generate: generateCommand, preprocess: preprocessCommand };

const [name, ...rest] = process.argv.slice(2);
const command = name ? commands[name] : undefined;
if (!command) {
  console.error(USAGE);
  process.exit(name ? 2 : 0);
}
try {
  await command(rest);
  process.exit(0);
} catch (e) {
  console.error(`internvl ${name}: ${(e as Error).message}`);
  process.exit(1);
}
