"""Reference for the card's image preprocessing (SPEC §9), for test/preprocess_parity.test.ts.

Writes test images (PNG/JPEG) into OUTDIR and, for each, what the card's pipeline produces with
PIL: the decoded `convert('RGB')` bytes, the grid, the uint8 tile bytes (before normalisation),
and for some cases the float32 `[T, 3, 448, 448]` from ToTensor + Normalize emulated with torch ops
(torchvision is not installed: ToTensor = uint8 -> float32 / 255, Normalize = (x - mean) / std with
float32 mean/std tensors). Usage: preprocess_ref.py OUTDIR  (writes OUTDIR/manifest.json).

The tiling below is written from SPEC §9.1 (the card's dynamic_preprocess / find_closest_aspect_ratio).
"""
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
from PIL import Image, ImageCms

IMAGE_SIZE = 448
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def target_ratios(min_num, max_num):
    s = set((i, j) for n in range(min_num, max_num + 1) for i in range(1, n + 1) for j in range(1, n + 1)
            if min_num <= i * j <= max_num)
    return sorted(s, key=lambda x: x[0] * x[1])


def find_closest_aspect_ratio(aspect, ratios, width, height, image_size):
    best_diff, best = float('inf'), (1, 1)
    area = width * height
    for r in ratios:
        diff = abs(aspect - r[0] / r[1])
        if diff < best_diff:
            best_diff, best = diff, r
        elif diff == best_diff and area > 0.5 * image_size * image_size * r[0] * r[1]:
            best = r
    return best


def dynamic_preprocess(image, min_num=1, max_num=12, image_size=IMAGE_SIZE, use_thumbnail=True):
    w, h = image.size
    cols, rows = find_closest_aspect_ratio(w / h, target_ratios(min_num, max_num), w, h, image_size)
    resized = image.resize((image_size * cols, image_size * rows))  # default filter: BICUBIC
    tiles = []
    for k in range(cols * rows):
        c, r = k % cols, k // cols
        tiles.append(resized.crop((c * image_size, r * image_size, (c + 1) * image_size, (r + 1) * image_size)))
    if use_thumbnail and len(tiles) != 1:
        tiles.append(image.resize((image_size, image_size)))
    return tiles, (cols, rows)


def to_tensor_normalize(tiles):
    mean = torch.tensor(MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float32).view(3, 1, 1)
    out = []
    for t in tiles:
        x = torch.from_numpy(np.array(t, dtype=np.uint8)).permute(2, 0, 1).contiguous()
        x = x.to(torch.float32).div(255)
        out.append(x.sub(mean).div(std))
    return torch.stack(out)


def synth(w, h, seed):
    """Gradients + a noise band + hard edges: exercises every tap and the clamps of the resampler."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([xx * 255.0 / max(w - 1, 1), yy * 255.0 / max(h - 1, 1), (xx + yy) % 256], axis=-1)
    noise = rng.randint(0, 256, size=(h, w, 3)).astype(np.float64)
    band = ((xx // max(w // 8, 1)) % 2 == 1)[..., None]
    img = np.where(band, noise, img)
    img[(yy.astype(int) % 17 == 0)] = 255.0  # white lines next to noise → overshoot, clip8 at 255
    img[(xx.astype(int) % 23 == 0)] = 0.0
    return np.clip(img, 0, 255).astype(np.uint8)


# (name, width, height, max_nums, normalised?)
RGB_CASES = [
    ('1280x1024', 1280, 1024, (12,), False),  # 1.25: (1,1), (2,2), (3,2) tie at 0.25; (4,3) wins
    ('640x640', 640, 640, (6,), False),       # (2,2) ties (1,1); area rule fires
    ('1000x1000', 1000, 1000, (12,), False),  # and (3,3) too
    ('640x512', 640, 512, (6,), False),       # ties, area rule rejects: stays 1x1
    ('800x600', 800, 600, (6,), False),
    ('1920x1080', 1920, 1080, (6,), False),
    ('1080x1920', 1080, 1920, (12,), False),
    ('300x1000', 300, 1000, (12,), False),
    ('2000x500', 2000, 500, (6,), False),
    ('896x448', 896, 448, (12,), True),
    ('448x448', 448, 448, (12,), False),       # equal size: copy
    ('224x224', 224, 224, (12,), True),
    ('449x449', 449, 449, (12,), False),
    ('1x1', 1, 1, (12,), False),
    ('7x3', 7, 3, (12,), False),
    ('3x7', 3, 7, (6,), False),
    ('997x331', 997, 331, (12,), False),
    ('331x997', 331, 997, (6,), False),
    ('2000x1', 2000, 1, (6,), False),
    ('3000x3000', 3000, 3000, (12,), False),   # the big one: heavy downscale, 3x3 by the tie rule
]


def write_png16(path, rgb16):
    """A 16-bit/channel RGB PNG (PIL cannot write one): PIL reads it as RGB keeping the high bytes."""
    h, w, _ = rgb16.shape
    raw = b''.join(b'\x00' + rgb16[y].astype('>u2').tobytes() for y in range(h))

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def save_case(out, manifest, name, path, pil_open_path, max_nums, normalised, compare='exact'):
    im = Image.open(pil_open_path).convert('RGB')
    decoded = f'{name}.decoded.rgb'
    with open(os.path.join(out, decoded), 'wb') as f:
        f.write(np.asarray(im, dtype=np.uint8).tobytes())
    entry = {'name': name, 'file': path, 'width': im.size[0], 'height': im.size[1],
             'decoded': decoded, 'compare': compare, 'runs': []}
    for max_num in max_nums:
        tiles, grid = dynamic_preprocess(im, max_num=max_num)
        run = {'max_num': max_num, 'grid': list(grid), 'num_tiles': len(tiles), 'tiles': f'{name}.max{max_num}.tiles'}
        with open(os.path.join(out, run['tiles']), 'wb') as f:
            for t in tiles:
                f.write(np.asarray(t, dtype=np.uint8).tobytes())
        if normalised:
            run['normalised'] = f'{name}.max{max_num}.f32'
            to_tensor_normalize(tiles).numpy().astype('<f4').tofile(os.path.join(out, run['normalised']))
        entry['runs'].append(run)
    manifest['cases'].append(entry)


def main(out):
    os.makedirs(out, exist_ok=True)
    manifest = {'pillow': Image.__version__, 'torch': torch.__version__, 'cases': []}
    for k, (name, w, h, max_nums, normalised) in enumerate(RGB_CASES):
        path = f'{name}.png'
        Image.fromarray(synth(w, h, k)).save(os.path.join(out, path), compress_level=1)
        save_case(out, manifest, name, path, os.path.join(out, path), max_nums, normalised)

    base = synth(300, 200, 99)
    rng = np.random.RandomState(7)
    alpha = rng.randint(0, 256, size=(200, 300), dtype=np.uint8)
    alpha[:50] = 0  # fully transparent rows keep their RGB in PIL (no premultiply, no matte)
    variants = {
        'rgba': Image.fromarray(np.dstack([base, alpha]), 'RGBA'),
        'gray': Image.fromarray(base[..., 0], 'L'),
        'gray_alpha': Image.fromarray(np.dstack([base[..., 1], alpha]), 'LA'),
        'palette': Image.fromarray(base).quantize(colors=200),
    }
    pal_t = Image.fromarray(base).quantize(colors=64)
    pal_t.info['transparency'] = 3
    variants['palette_trns'] = pal_t
    for name, im in variants.items():
        path = f'{name}.png'
        if name == 'palette_trns':
            im.save(os.path.join(out, path), transparency=3)
        else:
            im.save(os.path.join(out, path))
        save_case(out, manifest, name, path, os.path.join(out, path), (2,), False)

    # A PNG with an embedded (non-sRGB) ICC profile: PIL ignores it, so must we.
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile('XYZ')).tobytes()
    Image.fromarray(base).save(os.path.join(out, 'icc.png'), icc_profile=icc)
    save_case(out, manifest, 'icc', 'icc.png', os.path.join(out, 'icc.png'), (2,), False)

    write_png16(os.path.join(out, 'rgb16.png'), np.random.RandomState(3).randint(0, 65536, (200, 300, 3)))
    save_case(out, manifest, 'rgb16', 'rgb16.png', os.path.join(out, 'rgb16.png'), (2,), False)

    # JPEG: decoders may differ by a little; measured, not required exact.
    smooth = synth(640, 480, 5)
    Image.fromarray(smooth).save(os.path.join(out, 'photo.jpg'), quality=90)
    save_case(out, manifest, 'jpeg', 'photo.jpg', os.path.join(out, 'photo.jpg'), (2,), False, compare='measure')

    # EXIF orientation 6 (rotate 90° CW on display): PIL does not apply it; size stays 320x160.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(synth(320, 160, 11)).save(os.path.join(out, 'exif6.jpg'), quality=95, exif=exif.tobytes())
    save_case(out, manifest, 'exif6', 'exif6.jpg', os.path.join(out, 'exif6.jpg'), (2,), False, compare='measure')

    # CMYK JPEG: PIL converts with its own formula (no ICC).
    cmyk = np.random.RandomState(4).randint(0, 256, (120, 160, 4)).astype(np.uint8)
    Image.fromarray(cmyk, 'CMYK').save(os.path.join(out, 'cmyk.jpg'), quality=95)
    save_case(out, manifest, 'cmyk', 'cmyk.jpg', os.path.join(out, 'cmyk.jpg'), (2,), False, compare='measure')

    # torch's float32 ToTensor+Normalize of every byte value, per channel: [3, 256].
    lut = to_tensor_normalize([Image.fromarray(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2))])
    lut.numpy().astype('<f4').tofile(os.path.join(out, 'lut.f32'))
    manifest['lut'] = 'lut.f32'

    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main(sys.argv[1])
