// `internvl preprocess --image F [--max-tiles N] --out FILE`: float32 LE pixel values [tiles, 3, 448, 448]
// in C order, exactly as the card's load_image; prints the tile grid.
import { writeFile } from 'node:fs/promises';
import { loadImagePixels } from '../../model/image/normalize.js';
import { loadImage } from '../node/internvl.js';
import { type Command, type Parsed, UsageError } from './args.js';

export const preprocessCommand: Command = {
  name: 'preprocess',
  summary: 'Tile and normalise an image exactly as the card\'s load_image; write float32 [tiles, 3, 448, 448].',
  usage: '--image FILE --out FILE [--max-tiles N]',
  options: {
    image: { type: 'string', value: 'FILE', help: 'the image' },
    'max-tiles': { type: 'number', help: 'max_num of the dynamic tiling (default 12)' },
    out: { type: 'string', value: 'FILE', help: 'where to write the float32 little-endian pixel values' },
  },
  run: preprocess,
};

async function preprocess(args: Parsed): Promise<void> {
  if (args.image === undefined || args.out === undefined) throw new UsageError('--image FILE and --out FILE are required');
  const img = await loadImage(args.image as string);
  const { pixelValues, numTiles, grid } = loadImagePixels(img, (args.maxTiles as number | undefined) ?? 12);
  await writeFile(args.out as string, new Uint8Array(pixelValues.buffer, pixelValues.byteOffset, pixelValues.byteLength));
  console.log(JSON.stringify({ image: args.image, width: img.width, height: img.height, grid: { cols: grid[0], rows: grid[1] }, tiles: numTiles, thumbnail: numTiles > 1, shape: [numTiles, 3, 448, 448] }));
}
