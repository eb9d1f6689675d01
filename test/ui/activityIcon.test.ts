// The activity-bar icon must not look like the Testing view's flask (the codicon `beaker`). Both
// are drawn in Chromium as VS Code draws them in the activity bar: 24 px, ours as a CSS mask of
// the contributed SVG, the beaker as its codicon glyph, in one colour on one background. How
// alike they look is the correlation of the two images slightly blurred, as an eye sees an
// icon at a glance: the earlier flask scored 0.89 against the beaker, unrelated shapes stay
// near 0.5.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import manifest from '../../package.json';
import { chromiumPath, repoRoot, resultsDir } from '../host/paths';

/** The grey levels of an icon screenshot, blurred by a Gaussian of `sigma` pixels. */
async function grey(png: Buffer, sigma?: number): Promise<number[]> {
  const img = sharp(png).removeAlpha().greyscale();
  const { data } = await (sigma ? img.blur(sigma) : img).raw().toBuffer({ resolveWithObject: true });
  return Array.from(data);
}

/** Pearson correlation of two images of one size. */
function correlation(a: number[], b: number[]): number {
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('the activity-bar icon', function () {
  this.timeout(120_000);

  it('does not look like the Testing view\'s flask', async () => {
    const iconPath = manifest.contributes.viewsContainers.activitybar[0].icon;
    const svg = readFileSync(path.join(repoRoot, iconPath)).toString('base64');
    const font = readFileSync(path.join(repoRoot, 'node_modules/@vscode/codicons/dist/codicon.ttf')).toString('base64');
    const glyph = /\.codicon-beaker:before \{ content: "\\([0-9a-f]+)" \}/.exec(readFileSync(path.join(repoRoot, 'node_modules/@vscode/codicons/dist/codicon.css'), 'utf8'))![1];
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 200, height: 100 } });
      await page.setContent(`<!doctype html><style>
        @font-face { font-family: codicon; src: url(data:font/ttf;base64,${font}); }
        body { margin: 0; background: #181818; display: flex; gap: 8px; }
        .icon { width: 48px; height: 48px; display: flex; align-items: center; justify-content: center; }
        #ours::before { content: ''; width: 24px; height: 24px; background: #cccccc; -webkit-mask: url(data:image/svg+xml;base64,${svg}) no-repeat 50% 50%; -webkit-mask-size: 24px; }
        #beaker::before { content: '\\${glyph}'; font: 24px/1 codicon; color: #cccccc; }
      </style><div class="icon" id="ours"></div><div class="icon" id="beaker"></div>`);
      await page.evaluate(() => document.fonts.ready);
      const shots = path.join(resultsDir, 'screenshots');
      const [a, b] = await Promise.all([
        page.locator('#ours').screenshot({ path: path.join(shots, 'activity-icon.png') }),
        page.locator('#beaker').screenshot({ path: path.join(shots, 'activity-icon-testing.png') }),
      ]);
      const inked = async (png: Buffer) => (await grey(png)).filter((v) => v > 100).length;
      const [ours, theirs] = [await inked(a), await inked(b)];
      assert.ok(ours > 40 && theirs > 40, `both icons are drawn (${ours} and ${theirs} inked pixels)`);
      const r = correlation(await grey(a, 2), await grey(b, 2));
      console.log(`      ${iconPath} against the Testing beaker: correlation ${r.toFixed(2)}`);
      assert.ok(r < 0.7, `${iconPath} looks like the Testing icon (correlation ${r.toFixed(2)})`);
    } finally {
      await browser.close();
    }
  });
});
