// Renders media/icon.svg to the marketplace icon, media/icon.png (128 x 128), in headless
// Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH). Usage: node scripts/render-icon.mjs
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const size = 128;
const svg = readFileSync(join(root, 'media', 'icon.svg'), 'utf8').replace('width="256" height="256"', `width="${size}" height="${size}"`);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
  await page.screenshot({ path: join(root, 'media', 'icon.png'), omitBackground: true });
} finally {
  await browser.close();
}
