// The layers of the code base, checked by `npm run lint:deps` (part of `npm test`).
// docs/architecture.md draws them. The trainer's layers, lowest first; a module may import
// its own layer and the layers below, never one above.
const LAYERS = [
  ['config', 'version'],
  ['run', 'tasks', 'language'],
  ['model', 'agent'],
  ['tools', 'judges', 'serve'],
  ['sdk'],
  ['rollout', 'user'],
  ['train', 'debug'],
  ['commands'],
  ['cli', 'index'],
];
const folder = (name) => `^trainer/src/${name}(/|\\.ts$)`;
const above = (i) => LAYERS.slice(i + 1).flat();

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules that import each other cannot be understood, tested or loaded one at a time.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'trainer-stands-alone',
      severity: 'error',
      comment: 'The trainer is a standalone Node program and library: it imports nothing from the extension or the vscode API.',
      from: { path: '^trainer/src/' },
      to: { path: ['^src/', '^media/', '^vscode$'] },
    },
    {
      name: 'trainer-no-vscode',
      severity: 'error',
      comment: 'The trainer runs without VS Code.',
      from: { path: '^trainer/src/' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'unknown', 'undetermined'], path: '^vscode$' },
    },
    {
      name: 'media-imports-run-types-only',
      severity: 'error',
      comment: 'The webview sees the run through the shared run types and the viewer protocol, nothing else of the host or the trainer.',
      from: { path: '^media/' },
      to: {
        path: ['^src/', '^trainer/'],
        pathNot: ['^src/viewer/protocol\\.ts$', '^trainer/src/run/(events|constants)\\.ts$'],
      },
    },
    {
      name: 'media-no-node',
      severity: 'error',
      comment: 'The webview runs in a browser sandbox.',
      from: { path: '^media/' },
      to: { dependencyTypes: ['core'] },
    },
    ...LAYERS.slice(0, -1).flatMap((names, i) =>
      names.map((name) => ({
        name: `layer-${name}`,
        severity: 'error',
        comment: `trainer/src/${name} may import only its own layer and those below (${LAYERS.slice(0, i + 1).flat().join(', ')}).`,
        from: { path: folder(name) },
        to: { path: above(i).map(folder) },
      })),
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '^dist/', '^trainer/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
