// `internvl chat`: an interactive REPL with streamed answers and history; images/video attach to every turn
// (the card re-encodes the whole conversation, pixels included, each round). The first question follows the
// placeholder rule of tools/cli/request.ts.
import { createInterface } from 'node:readline';
import type { Turn } from '../../model/conversation.js';
import type { Command, Parsed } from './args.js';
import { MODEL_OPTIONS, generationOptions, mediaOptions, openModel, requiredModel } from './common.js';
import { firstTurn, laterTurn, readMedia, tileMedia } from './request.js';

export const chatCommand: Command = {
  name: 'chat',
  summary: 'Chat in the terminal with streamed answers and history; questions are read line by line from stdin.',
  usage: '--model DIR|REPO [options]',
  options: MODEL_OPTIONS,
  run: chat,
};

async function chat(args: Parsed): Promise<void> {
  requiredModel(args);
  const media = await readMedia(mediaOptions(args));
  const model = await openModel(args);
  const tiled = tileMedia(model, media);
  for (const line of tiled.grids) console.error(line);
  const rl = createInterface({ input: process.stdin, terminal: false });
  let history: Turn[] | undefined;
  console.error('Type a question (empty line or Ctrl-D to quit; /reset clears the history).');
  const prompt = () => process.stdout.write('> ');
  prompt();
  try {
    // The async iterator buffers lines that arrive while an answer is being generated (piped input included).
    for await (const line of rl) {
      const question = line.trim();
      if (!question) break;
      if (question === '/reset') {
        history = undefined;
        prompt();
        continue;
      }
      try {
        const turn = history ? laterTurn(tiled, question) : firstTurn(media, tiled, question);
        const stream = model.stream({
          ...turn,
          ...(history && { history }),
          generation: generationOptions(args),
          ...(args.system !== undefined && { systemMessage: args.system as string }),
        });
        let step = await stream.next();
        while (!step.done) {
          process.stdout.write(step.value);
          step = await stream.next();
        }
        process.stdout.write('\n');
        history = step.value.history;
      } catch (e) {
        console.error(`error: ${(e as Error).message}`); // the session stays usable
      }
      prompt();
    }
  } finally {
    rl.close();
    await model.destroy();
  }
}
