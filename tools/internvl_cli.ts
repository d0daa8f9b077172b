// internvl <chat|generate|serve|download|preprocess> … — see README.md. Run through the `internvl` bin
// (tools/internvl.ts). Exit status: 0 success, 1 a failure with a one-line message, 2 bad usage.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, UsageError, commandHelp, parseArgs } from './cli/args.js';
import { chatCommand } from './cli/chat.js';
import { downloadCommand } from './cli/download.js';
import { generateCommand } from './cli/generate.js';
import { preprocessCommand } from './cli/preprocess.js';
import { quantizeCommand } from './cli/quantize.js';
import { serveCommand } from './cli/serve.js';

const COMMANDS: readonly Command[] = [chatCommand, generateCommand, serveCommand, downloadCommand, quantizeCommand, preprocessCommand];

function overview(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`);
  return `usage: internvl COMMAND [options]     (internvl COMMAND --help for its options)\n\n` +
    `InternVL2-1B on WebGPU: chat about images and videos in the terminal.\n\ncommands:\n${rows.join('\n')}\n\n` +
    `  --version   print the version\n  --help      this help\n\n` +
    `environment: HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE (the Hugging Face cache and hub), ` +
    `INTERNVL_PROFILE=cpu|gpu|auto and INTERNVL_VARIANTS=op=variant,… (kernel choice)\n`;
}

/** The version in the package.json above this file (tools/ in the repository, dist/tools/ in the package). */
function version(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'internvl-webgpu') return pkg.version ?? 'unknown';
    } catch {}
  }
  return 'unknown';
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') return void process.stdout.write(`${version()}\n`), 0;
  if (name === '--help' || name === '-h' || name === 'help') return void process.stdout.write(overview()), 0;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(name ? `internvl: unknown command "${name}"\n\n${overview()}` : overview());
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(commandHelp(command)), 0;
  try {
    await command.run(parseArgs(rest, command.options, command.name));
    return 0;
  } catch (e) {
    const message = (e as Error).message.replace(/\s*\n\s*/g, ' ');
    if (e instanceof UsageError) {
      process.stderr.write(`internvl ${command.name}: ${message}\nusage: internvl ${command.name} ${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`internvl ${command.name}: ${message}\n`);
    if (rest.includes('--verbose')) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

process.exit(await main(process.argv.slice(2)));
