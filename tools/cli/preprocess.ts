// `internvl preprocess --image F [--max-tiles N] --out FILE`: float32 LE pixel values [tiles, 3, 448, 448]
// in C order, exactly as the card's load_image; prints the tile grid.
import { writeFile } from 'node:fs/promises';
import { loadImagePixels } from '../../model/image/normalize.js';
import { loadImage } from '../node/internvl.js';
import { parseArgs } from './args.js';

export async function preprocessCommand(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv, { image: { type: 'string' }, 'max-tiles': { type: 'number' }, out: { type: 'string' } }, 'internvl preprocess');
  if (args.image === undefined || args.out === undefined) throw new Error('internvl preprocess: --image F and --out FILE are required');
  const img = await loadImage(args.image as string);
  const { pixelValues, numTiles, grid } = loadImagePixels(img, (args.maxTiles as number | undefined) ?? 12);
  await writeFile(args.out as string, new Uint8Array(pixelValues.buffer, pixelValues.byteOffset, pixelValues.byteLength));
  console.log(JSON.stringify({ image: args.image, width: img.width, height: img.height, grid: { cols: grid[0], rows: grid[1] }, tiles: numTiles, thumbnail: numTiles > 1, shape: [numTiles, 3, 448, 448] }));
}
