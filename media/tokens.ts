// Colours of the token view. Logprob: the probability the rollout policy gave the sampled token
// (low = red, high = green). Advantage: GRPO/RLOO give every sampled token of a rollout the same
// advantage; its sign picks the hue and its magnitude the strength.

export interface TokenPaint {
  /** A CSS colour for the token's background. */
  background: string;
  /** 0..1, for tests and legends. */
  strength: number;
}

/** Mixes a theme colour variable with transparency; the webview's CSS defines the variables. */
const mix = (cssVar: string, strength: number) => `color-mix(in srgb, var(${cssVar}) ${Math.round(strength * 100)}%, transparent)`;

export function logprobPaint(logprob: number): TokenPaint {
  const p = Math.exp(Math.min(0, logprob));
  // Confident tokens stay light so the uncertain ones stand out.
  if (p >= 0.5) return { background: mix('--vscode-charts-green', 0.15 + 0.35 * (p - 0.5) * 2), strength: p };
  return { background: mix('--vscode-charts-red', 0.25 + 0.5 * (1 - p / 0.5)), strength: p };
}

export function advantagePaint(advantage: number | null | undefined, scale = 2): TokenPaint {
  if (advantage === null || advantage === undefined || advantage === 0) return { background: 'transparent', strength: 0 };
  const s = Math.min(1, Math.abs(advantage) / scale);
  return { background: mix(advantage > 0 ? '--vscode-charts-green' : '--vscode-charts-red', 0.15 + 0.55 * s), strength: s };
}

/** Makes whitespace in a token piece visible without changing its text. */
export function showWhitespace(piece: string): string {
  return piece.replace(/\n/g, '↵\n').replace(/\t/g, '→\t');
}
