// `internvl serve`: the OpenAI-compatible HTTP server (tools/node/server.ts) until Ctrl-C / SIGTERM.
import { startServer } from '../node/server.js';
import type { Command, Parsed } from './args.js';
import { MODEL_OPTIONS, kvCacheOption, openModel, quantOption, requiredModel, visionQuantOption } from './common.js';

const { model, revision, quant, 'quant-vision': quantVision, 'kv-cache': kvCache, 'max-context': maxContext, 'max-tiles': maxTiles, verbose } = MODEL_OPTIONS;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve the model over HTTP with the OpenAI API: POST /v1/chat/completions (streaming too), /v1/models, /health, /metrics.',
  usage: '--model DIR|REPO [--host H] [--port P] [options]',
  options: {
    model: model!,
    revision: revision!,
    quant: quant!,
    'quant-vision': quantVision!,
    'kv-cache': kvCache!,
    host: { type: 'string', value: 'HOST', help: 'address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)' },
    port: { type: 'number', value: 'PORT', help: 'port (default 8000)' },
    'served-model-name': { type: 'string', value: 'NAME', help: 'the model id clients send and /v1/models lists (default: --model)' },
    'api-key': { type: 'string', value: 'KEY', help: 'require Authorization: Bearer KEY on /v1/*' },
    'max-batch': { type: 'number', help: 'sequences decoded together at most (default 32)' },
    'max-queue': { type: 'number', help: 'requests that may wait for their first token; beyond, 429 (default 64)' },
    'max-context': maxContext!,
    'max-tiles': maxTiles!,
    'media-dir': { type: 'string', value: 'DIR', help: 'allow image_url / video_url to name files under DIR (default: no local files)' },
    'video-frames': { type: 'number', help: 'frames taken from a video_url by get_index (default 8)' },
    verbose: verbose!,
  },
  run: serve,
};

async function serve(args: Parsed): Promise<void> {
  const source = requiredModel(args);
  quantOption(args); // usage errors before the server starts
  visionQuantOption(args);
  kvCacheOption(args);
  const server = await startServer(() => openModel(args), {
    ...(args.host !== undefined && { host: args.host as string }),
    ...(args.port !== undefined && { port: args.port as number }),
    modelName: (args.servedModelName as string | undefined) ?? source,
    ...(args.apiKey !== undefined && { apiKey: args.apiKey as string }),
    ...(args.maxQueue !== undefined && { maxQueue: args.maxQueue as number }),
    ...(args.maxTiles !== undefined && { maxTiles: args.maxTiles as number }),
    ...(args.mediaDir !== undefined && { mediaDir: args.mediaDir as string }),
    ...(args.videoFrames !== undefined && { videoFrames: args.videoFrames as number }),
    log: (line) => console.error(line),
  });
  console.error(`internvl serve: loading ${source}; listening on ${server.url} (GET /health says when ready)`);
  await server.ready;
  console.error(`internvl serve: ready at ${server.url}/v1`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
}
