// `internvl chat`: an interactive REPL with streamed answers and history; images/video attach to every turn
// (the card re-encodes the whole conversation, pixels included, each round).
import { createInterface } from 'node:readline';
import type { Turn } from '../../model/conversation.js';
import { parseArgs } from './args.js';
import { MODEL_OPTIONS, generationOptions, mediaOptions, openModel } from './common.js';
import { firstTurn, loadMedia } from './request.js';

export async function chatCommand(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv, MODEL_OPTIONS, 'internvl chat');
  const model = await openModel(args);
  const media = await loadMedia(model, mediaOptions(args));
  for (const line of media.grids) console.error(line);
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
      const turn = history ? { question, ...(media.pixelValues && { pixelValues: media.pixelValues, numPatchesList: media.numPatchesList! }) } : firstTurn(media, question);
      try {
        const stream = model.stream({ ...turn, ...(history && { history }), generation: generationOptions(args) });
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
