// The OpenAI request mapping without a GPU: messages → the card's prompts (placeholders numbered across the
// conversation, frames, history, system message), field validation as 400s naming the field, greedy unless a
// temperature is given, and the stop-string filter that holds back what may still become a stop string.
import { describe, expect, it } from 'vitest';
import type { PixelValues } from '../model/chat.js';
import { type RgbImage, rgbImage } from '../model/image/rgb_image.js';
import { ApiError, type ChatMessage, conversationRequest, dataUrlBytes, generationOf, parseRequest, stopFilter } from '../model/openai_api.js';

const model = {
  stream: () => {
    throw new Error('not used');
  },
  preprocess: (image: RgbImage): PixelValues => ({ data: new Float32Array(image.width), tiles: image.width }),
};
// An image's "tiles" are its width here, so the order of numPatchesList shows which image went where.
const media = {
  image: async (url: string) => rgbImage(Number(url.slice('img:'.length)), 1),
  video: async (url: string) => Array.from({ length: Number(url.slice('vid:'.length)) }, () => rgbImage(1, 1)),
};
const image = (n: number) => ({ type: 'image_url' as const, image_url: { url: `img:${n}` } });
const text = (t: string) => ({ type: 'text' as const, text: t });

const map = (messages: ChatMessage[]) => conversationRequest(parseRequest({ messages }), model, media);

describe('chat completions: messages → the card prompts', () => {
  it('one image in the conversation: <image>\\n before its message', async () => {
    const r = await map([{ role: 'user', content: [text('What is this?'), image(3)] }]);
    expect(r).toMatchObject({ question: '<image>\nWhat is this?', numPatchesList: [3] });
    expect(r.history).toBeUndefined();
    expect(r.pixelValues!.tiles).toBe(3);
  });

  it('several images: Image-N slots numbered across the conversation; earlier turns are the history', async () => {
    const r = await map([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [image(2), text('First?')] },
      { role: 'assistant', content: 'A cat.' },
      { role: 'user', content: [image(5), text('And this one?')] },
    ]);
    expect(r.systemMessage).toBe('Be brief.');
    expect(r.history).toEqual([['Image-1: <image>\nFirst?', 'A cat.']]);
    expect(r.question).toBe('Image-2: <image>\nAnd this one?');
    expect(r.numPatchesList).toEqual([2, 5]);
  });

  it('a video: Frame1..FrameN, one tile each', async () => {
    const r = await map([{ role: 'user', content: [{ type: 'video_url', video_url: { url: 'vid:3' } }, text('What happens?')] }]);
    expect(r.question).toBe('Frame1: <image>\nFrame2: <image>\nFrame3: <image>\nWhat happens?');
    expect(r.numPatchesList).toEqual([1, 1, 1]);
  });

  it('bad conversations and fields are 400s naming the problem', async () => {
    const bad = async (body: unknown, param: string | null, status = 400) => {
      const e = await (async () => conversationRequest(parseRequest(body, 'tiny'), model, media))().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ApiError);
      expect(e).toMatchObject({ status, param });
    };
    await bad([], null);
    await bad({ messages: [] }, 'messages');
    await bad({ messages: [{ role: 'user', content: 'hi' }], frequency_penalty: 1 }, 'frequency_penalty');
    await bad({ messages: [{ role: 'user', content: 'hi' }], temperature: 3 }, 'temperature');
    await bad({ messages: [{ role: 'user', content: 'hi' }], n: 2 }, 'n');
    await bad({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 }, 'max_tokens');
    await bad({ messages: [{ role: 'user', content: 'hi' }], stop: [1] }, 'stop');
    await bad({ messages: [{ role: 'user', content: 'hi' }], model: 'gpt-4o' }, 'model', 404);
    await bad({ messages: [{ role: 'tool', content: 'hi' }] }, 'messages[0].role');
    await bad({ messages: [{ role: 'assistant', content: [image(1)] }] }, 'messages[0].content[0]');
    await bad({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }] }, 'messages');
    await bad({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] }, 'messages');
    await bad({ messages: [{ role: 'user', content: 'look: <image>' }] }, 'messages');
    const unreadable = { image: async () => Promise.reject(new Error('not an image')), video: media.video };
    await expect(conversationRequest(parseRequest({ messages: [{ role: 'user', content: [image(1)] }] }), model, unreadable)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_media',
      message: 'messages[0]: not an image',
    });
  });

  it('greedy unless a temperature above 0 is given; max_completion_tokens wins over max_tokens', () => {
    expect(generationOf({ messages: [] })).toEqual({ maxNewTokens: 1024, doSample: false });
    expect(generationOf({ messages: [], temperature: 0, max_tokens: 7 })).toEqual({ maxNewTokens: 7, doSample: false });
    expect(generationOf({ messages: [], temperature: 0.7, top_p: 0.9, seed: 3, max_tokens: 7, max_completion_tokens: 9 })).toEqual({
      maxNewTokens: 9,
      doSample: true,
      temperature: 0.7,
      topP: 0.9,
      topK: 0,
      seed: 3,
    });
  });

  it('data: URLs decode from base64 and percent-encoding', () => {
    expect([...dataUrlBytes('data:image/png;base64,AAEC/w==')]).toEqual([0, 1, 2, 255]);
    expect(new TextDecoder().decode(dataUrlBytes('data:,a%20b'))).toBe('a b');
    expect(() => dataUrlBytes('data:image/png;base64,@@@')).toThrow('not valid base64');
  });
});

describe('stop strings', () => {
  it('hold back a possible start of a stop string, cut at the first one, and drop what follows', () => {
    const f = stopFilter(['END', 'xyz']);
    expect(f.push('hello E')).toBe('hello ');
    expect(f.push('N')).toBe('');
    expect(f.push('o')).toBe('ENo'); // not a stop string after all
    expect(f.push(' x')).toBe(' ');
    expect(f.push('yz and more')).toBe('');
    expect(f.stopped).toBe(true);
    expect(f.push('again')).toBe('');
    expect(f.flush()).toBe('');
  });

  it('pass everything through when nothing matches, the held tail on flush', () => {
    const f = stopFilter(['STOP']);
    expect(f.push('abc S')).toBe('abc ');
    expect(f.flush()).toBe('S');
    expect(f.stopped).toBe(false);
    expect(stopFilter([]).push('anything')).toBe('anything');
  });
});
